//! Secrets at rest: the client secret is sealed with AES-256-GCM before it
//! reaches the database, bound to what it is (the associated data), so a
//! sealed value copied into another setting does not open. The key comes
//! from `DIRSYNC_SECRET_KEY`, or from a key file generated under the data
//! folder on first start and readable by its owner only.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const SECRET_KEY_ENV: &str = "DIRSYNC_SECRET_KEY";
/// The generated key's file name, in the data folder.
pub const KEY_FILE: &str = "secret.key";
/// The format of a sealed value: `v1.` then base64 of nonce and ciphertext.
const VERSION: &str = "v1.";
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<Aes256Gcm>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox")
    }
}

/// Where the key came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    Generated(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "{SECRET_KEY_ENV} must be 32 random bytes written as 64 hex digits or 44 base64 characters (for example the output of `openssl rand -base64 32`)"
    )]
    BadEnvironmentKey,
    #[error(
        "the key file {path} does not hold a key this server wrote; remove it only if no secret is saved yet"
    )]
    BadKeyFile { path: String },
    #[error("the key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A sealed value that does not open with this key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved value cannot be decrypted with this server's key")]
pub struct Unreadable;

impl SecretBox {
    pub fn from_key(key: [u8; 32]) -> Self {
        Self {
            cipher: Arc::new(Aes256Gcm::new(&key.into())),
        }
    }

    /// The key from `env_value` (`DIRSYNC_SECRET_KEY`) when set, else from
    /// `data_dir/secret.key`, which is generated when missing.
    pub fn load(env_value: Option<&str>, data_dir: &Path) -> Result<(Self, KeySource), KeyError> {
        if let Some(value) = env_value.map(str::trim).filter(|v| !v.is_empty()) {
            let key = decode_key(value).ok_or(KeyError::BadEnvironmentKey)?;
            return Ok((Self::from_key(key), KeySource::Environment));
        }
        let path = data_dir.join(KEY_FILE);
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        if !path.exists() {
            let key = generate_key_file(&path).map_err(io)?;
            if let Some(key) = key {
                return Ok((Self::from_key(key), KeySource::Generated(path)));
            }
        }
        restrict_to_owner(&path).map_err(io)?;
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let key = decode_key(text.trim()).ok_or_else(|| KeyError::BadKeyFile {
            path: path.display().to_string(),
        })?;
        Ok((Self::from_key(key), KeySource::File(path)))
    }

    /// Seals `plaintext` as the value of `context` (say, which setting).
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any message this size");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}{}", STANDARD.encode(sealed))
    }

    /// Opens what [`seal`](Self::seal) made for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<SecretString, Unreadable> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(Unreadable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Unreadable)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| Unreadable)
    }
}

/// Writes a new key next to `path`, then links it into place, which fails
/// when another server did so first: nobody ever reads a half-written key.
/// `None` when the other server won (its key is then the one to use).
fn generate_key_file(path: &Path) -> std::io::Result<Option<[u8; 32]>> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the operating system's random source failed");
    let draft = path.with_extension(format!("new-{}", std::process::id()));
    let written = (|| {
        let mut file = create_owner_only(&draft)?;
        writeln!(file, "{}", STANDARD.encode(key))?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&draft, path));
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => Ok(Some(key)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(e),
    }
}

/// 32 bytes from 64 hex digits or from base64.
fn decode_key(value: &str) -> Option<[u8; 32]> {
    let bytes = if value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&value[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        STANDARD.decode(value).ok()?
    };
    bytes.try_into().ok()
}

#[cfg(unix)]
fn create_owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

/// A key file others can read is tightened, and the log says so.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "the secret key file was readable by others; restricting it to its owner");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("dirsync_secrets_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let sealer = SecretBox::from_key([7; 32]);
        let sealed = sealer.seal("abc8Q~value", "azure.client_secret");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("abc8Q~value"));
        assert_ne!(
            sealed,
            sealer.seal("abc8Q~value", "azure.client_secret"),
            "a fresh nonce each time"
        );
        let opened = sealer.open(&sealed, "azure.client_secret").unwrap();
        assert_eq!(opened.expose_secret(), "abc8Q~value");
        assert_eq!(
            sealer.open(&sealed, "another.setting").unwrap_err(),
            Unreadable
        );
        assert_eq!(
            SecretBox::from_key([8; 32])
                .open(&sealed, "azure.client_secret")
                .unwrap_err(),
            Unreadable
        );
        assert_eq!(
            sealer.open("v1.!!!", "azure.client_secret").unwrap_err(),
            Unreadable
        );
        assert_eq!(
            sealer.open("plain", "azure.client_secret").unwrap_err(),
            Unreadable
        );
    }

    #[test]
    fn a_key_file_is_generated_once_for_its_owner_only() {
        let dir = temp_dir("generate");
        let (first, source) = SecretBox::load(None, &dir).unwrap();
        assert_eq!(source, KeySource::Generated(dir.join(KEY_FILE)));
        let (again, source) = SecretBox::load(None, &dir).unwrap();
        assert_eq!(source, KeySource::File(dir.join(KEY_FILE)));
        let sealed = first.seal("s", "c");
        assert_eq!(again.open(&sealed, "c").unwrap().expose_secret(), "s");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.join(KEY_FILE);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            SecretBox::load(None, &dir).unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "tightened on start");
        }
        std::fs::write(dir.join(KEY_FILE), "short").unwrap();
        assert!(matches!(
            SecretBox::load(None, &dir),
            Err(KeyError::BadKeyFile { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_environment_key_wins_and_is_checked() {
        let dir = temp_dir("env");
        let hex = "00".repeat(32);
        let (from_hex, source) = SecretBox::load(Some(&hex), &dir).unwrap();
        assert_eq!(source, KeySource::Environment);
        assert!(
            !dir.join(KEY_FILE).exists(),
            "no key file when the environment has the key"
        );
        let b64 = STANDARD.encode([0u8; 32]);
        let (from_b64, _) = SecretBox::load(Some(&b64), &dir).unwrap();
        assert_eq!(
            from_b64
                .open(&from_hex.seal("x", "c"), "c")
                .unwrap()
                .expose_secret(),
            "x"
        );
        for bad in ["short", &"zz".repeat(32), &STANDARD.encode([0u8; 16])] {
            assert!(matches!(
                SecretBox::load(Some(bad), &dir),
                Err(KeyError::BadEnvironmentKey)
            ));
        }
    }
}
