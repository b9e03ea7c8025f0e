//! A deterministic tenant of realistic, international people: the same seed
//! gives the same tenant, byte for byte. Departments with heads (managers),
//! guests with `#EXT#` UPNs, disabled accounts, users without `mail`, nested
//! groups, and groups holding devices, contacts and service principals.

use super::tenant::{AppRegistration, SimGroup, SimObject, SimUser, Tenant};
use app::domain::directory::MemberKind;

/// SplitMix64: small, fast, and stable across platforms and releases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A version-4-shaped GUID.
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// (shown, ASCII for addresses). Western names with accents and
/// apostrophes, and East Asian names written in their own script.
const GIVEN: &[(&str, &str)] = &[
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("Siobhán", "siobhan"),
    ("François", "francois"),
    ("Björn", "bjorn"),
    ("Mária", "maria"),
    ("Chloé", "chloe"),
    ("Ngozi", "ngozi"),
    ("Aarav", "aarav"),
    ("Priya", "priya"),
    ("Amara", "amara"),
    ("Liam", "liam"),
    ("Olivia", "olivia"),
    ("Mateo", "mateo"),
    ("Fatima", "fatima"),
    ("Yusuf", "yusuf"),
    ("Ingrid", "ingrid"),
    ("Dmitri", "dmitri"),
    ("Ana", "ana"),
    ("Noah", "noah"),
    ("Emma", "emma"),
    ("Kwame", "kwame"),
    ("Léa", "lea"),
    ("Jürgen", "jurgen"),
    ("Renée", "renee"),
    ("Seán", "sean"),
    ("Aoife", "aoife"),
    ("Tomás", "tomas"),
    ("Grace", "grace"),
    ("Hannah", "hannah"),
    ("Omar", "omar"),
    ("Isabella", "isabella"),
    ("Ethan", "ethan"),
    ("Mei", "mei"),
];
const SURNAMES: &[(&str, &str)] = &[
    ("O'Brien", "obrien"),
    ("D'Angelo", "dangelo"),
    ("Müller", "muller"),
    ("Nguyễn", "nguyen"),
    ("García", "garcia"),
    ("Kowalski", "kowalski"),
    ("Johansson", "johansson"),
    ("Núñez", "nunez"),
    ("Okafor", "okafor"),
    ("Patel", "patel"),
    ("Smith", "smith"),
    ("Dubois", "dubois"),
    ("Rossi", "rossi"),
    ("Novák", "novak"),
    ("Andersen", "andersen"),
    ("Ó Súilleabháin", "osullivan"),
    ("Papadopoulos", "papadopoulos"),
    ("Schäfer", "schafer"),
    ("Fernández", "fernandez"),
    ("Mensah", "mensah"),
    ("Haddad", "haddad"),
    ("Ivanova", "ivanova"),
    ("Walsh", "walsh"),
    ("Brennan", "brennan"),
    ("Kim", "kim"),
    ("Silva", "silva"),
];
/// (surname, given, ASCII surname, ASCII given): shown surname first, no space.
const EAST_ASIAN: &[(&str, &str, &str, &str)] = &[
    ("王", "伟", "wang", "wei"),
    ("李", "娜", "li", "na"),
    ("张", "敏", "zhang", "min"),
    ("陈", "静", "chen", "jing"),
    ("田中", "さくら", "tanaka", "sakura"),
    ("佐藤", "健", "sato", "ken"),
    ("鈴木", "陽菜", "suzuki", "hina"),
    ("김", "서연", "kim", "seoyeon"),
    ("박", "지훈", "park", "jihoon"),
    ("이", "민준", "lee", "minjun"),
];

struct Department {
    name: &'static str,
    titles: &'static [&'static str],
    head_title: &'static str,
}

const DEPARTMENTS: &[Department] = &[
    Department {
        name: "Engineering",
        titles: &[
            "Software Engineer",
            "Senior Software Engineer",
            "Site Reliability Engineer",
            "QA Analyst",
        ],
        head_title: "VP Engineering",
    },
    Department {
        name: "Customer Support",
        titles: &["Support Agent", "Senior Support Agent", "Support Team Lead"],
        head_title: "Head of Support",
    },
    Department {
        name: "Sales",
        titles: &[
            "Account Executive",
            "Sales Development Rep",
            "Solutions Consultant",
        ],
        head_title: "VP Sales",
    },
    Department {
        name: "Marketing",
        titles: &["Marketing Manager", "Content Strategist", "Designer"],
        head_title: "CMO",
    },
    Department {
        name: "Finance",
        titles: &["Accountant", "Financial Analyst", "Payroll Specialist"],
        head_title: "CFO",
    },
    Department {
        name: "Human Resources",
        titles: &["HR Business Partner", "Recruiter", "People Ops Specialist"],
        head_title: "Head of People",
    },
    Department {
        name: "IT",
        titles: &[
            "Systems Administrator",
            "Service Desk Analyst",
            "Network Engineer",
        ],
        head_title: "IT Director",
    },
    Department {
        name: "Legal",
        titles: &["Counsel", "Paralegal"],
        head_title: "General Counsel",
    },
];
const OFFICES: &[&str] = &[
    "Dublin",
    "Berlin",
    "London",
    "New York",
    "São Paulo",
    "Tokyo",
    "Singapore",
    "Kraków",
    "Remote",
];
const GUEST_DOMAINS: &[&str] = &[
    "fabrikam.com",
    "northwind.example",
    "adatum.io",
    "litware.org",
];
const PROJECTS: &[&str] = &[
    "Project Aurora",
    "Helpdesk Champions",
    "Incident Response",
    "Onboarding Buddies",
    "Security Council",
    "Office Social Club",
];

/// The registration a seed's tenant accepts.
pub fn registration(seed: u64) -> AppRegistration {
    let mut rng = Rng::new(seed ^ 0x0005_EED0_FA99);
    let tenant_id = rng.guid();
    let client_id = rng.guid();
    let secret: String = (0..40)
        .map(|_| {
            *rng.pick(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-") as char
        })
        .collect();
    AppRegistration {
        tenant_id,
        client_id,
        client_secret: secret,
        app_display_name: "dirsync".into(),
    }
}

/// An office's country or region and its two-letter code.
fn country_of(office: &str) -> Option<(&'static str, &'static str)> {
    Some(match office {
        "Dublin" => ("Ireland", "IE"),
        "Berlin" => ("Germany", "DE"),
        "London" => ("United Kingdom", "GB"),
        "New York" => ("United States", "US"),
        "São Paulo" => ("Brazil", "BR"),
        "Tokyo" => ("Japan", "JP"),
        "Singapore" => ("Singapore", "SG"),
        "Kraków" => ("Poland", "PL"),
        _ => return None,
    })
}

/// `users` people and `groups` groups, from `seed`.
pub fn generate(users: usize, groups: usize, seed: u64) -> Tenant {
    let mut rng = Rng::new(seed);
    let domain = "contoso.onmicrosoft.com";
    let mail_domain = "contoso.com";
    let mut tenant = Tenant {
        domain: domain.to_owned(),
        ..Tenant::default()
    };
    // How many people already have each "given.surname" alias: the next
    // one gets a number (ada.lovelace, ada.lovelace2, ...).
    let mut alias_counts: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut heads: Vec<Option<String>> = vec![None; DEPARTMENTS.len()];
    let mut by_department: Vec<Vec<String>> = vec![Vec::new(); DEPARTMENTS.len()];

    for i in 0..users {
        let (given, surname, given_ascii, surname_ascii, display) = if rng.chance(15) {
            let (s, g, sa, ga) = *rng.pick(EAST_ASIAN);
            (g, s, ga, sa, format!("{s}{g}"))
        } else {
            let (g, ga) = *rng.pick(GIVEN);
            let (s, sa) = *rng.pick(SURNAMES);
            (g, s, ga, sa, format!("{g} {s}"))
        };
        let base = format!("{given_ascii}.{surname_ascii}");
        let count = alias_counts.entry(base.clone()).or_insert(0);
        *count += 1;
        let alias = if *count == 1 {
            base
        } else {
            format!("{base}{count}")
        };
        let id = rng.guid();
        let dept_index = rng.below(DEPARTMENTS.len());
        let dept = &DEPARTMENTS[dept_index];
        let is_head = heads[dept_index].is_none();
        let guest = !is_head && rng.chance(3);
        let (upn, mail, user_type) = if guest {
            let home = rng.pick(GUEST_DOMAINS);
            (
                format!("{alias}_{home}#EXT#@{domain}"),
                Some(format!("{alias}@{home}")),
                "Guest",
            )
        } else {
            let upn = format!("{alias}@{mail_domain}");
            // About one in twenty accounts has no mailbox, so no `mail`.
            let mail = (!rng.chance(5)).then(|| upn.clone());
            (upn, mail, "Member")
        };
        let title = if is_head {
            dept.head_title
        } else {
            rng.pick(dept.titles)
        };
        let office = (!guest).then(|| rng.pick(OFFICES).to_string());
        // Derived without drawing from `rng`, so that tenants generated
        // from a seed before these properties existed stay the same.
        let place = office.as_deref().and_then(country_of);
        let proxy_addresses = match (&mail, guest) {
            (Some(mail), false) => vec![format!("SMTP:{mail}"), format!("smtp:{alias}@{domain}")],
            _ => vec![],
        };
        let other_mails = if guest {
            mail.iter().cloned().collect()
        } else {
            vec![]
        };
        let mut user = SimUser {
            id: id.clone(),
            display_name: Some(display),
            given_name: Some(given.to_owned()),
            surname: Some(surname.to_owned()),
            mail,
            user_principal_name: upn,
            job_title: (!guest).then(|| title.to_owned()),
            department: (!guest).then(|| dept.name.to_owned()),
            office_location: office.clone(),
            mobile_phone: (!guest && rng.chance(60))
                .then(|| format!("+353 87 {:03} {:04}", rng.below(1000), rng.below(10_000))),
            business_phones: if !guest && rng.chance(70) {
                vec![format!(
                    "+353 1 {:03} {:04}",
                    rng.below(1000),
                    rng.below(10_000)
                )]
            } else {
                vec![]
            },
            employee_id: (!guest).then(|| format!("E{:05}", i + 1)),
            account_enabled: is_head || !rng.chance(4),
            user_type: user_type.to_owned(),
            preferred_language: Some(
                rng.pick(&["en-IE", "en-US", "de-DE", "fr-FR", "ja-JP", "pl-PL"])
                    .to_string(),
            ),
            company_name: (!guest).then(|| "Contoso Ltd".to_owned()),
            employee_type: (!guest).then(|| {
                if i % 10 == 9 {
                    "Contractor"
                } else {
                    "Employee"
                }
                .to_owned()
            }),
            employee_hire_date: None,
            city: office.clone(),
            country: place.map(|(country, _)| country.to_owned()),
            usage_location: place.map(|(_, code)| code.to_owned()),
            proxy_addresses,
            other_mails,
            created_date_time: Some(format!(
                "20{:02}-{:02}-{:02}T09:00:00Z",
                15 + rng.below(11),
                1 + rng.below(12),
                1 + rng.below(28)
            )),
            manager_id: if guest {
                None
            } else {
                heads[dept_index].clone()
            },
        };
        // Hired the day the account was made.
        if !guest && let Some(created) = &user.created_date_time {
            user.employee_hire_date = Some(format!("{}T00:00:00Z", &created[..10]));
        }
        if is_head {
            heads[dept_index] = Some(id.clone());
        }
        if !guest {
            by_department[dept_index].push(id);
        }
        tenant.users.push(user);
    }

    // Objects that are not people, for groups to hold.
    for (kind, name) in [
        (MemberKind::Device, "Reception kiosk"),
        (MemberKind::Device, "Meeting room display"),
        (MemberKind::OrgContact, "Facilities contractor"),
        (MemberKind::ServicePrincipal, "Backup service"),
    ] {
        tenant.others.push(SimObject {
            id: rng.guid(),
            kind,
            display_name: Some(name.to_owned()),
        });
    }

    let mut department_group_ids = Vec::new();
    for (index, dept) in DEPARTMENTS.iter().enumerate().take(groups) {
        let id = rng.guid();
        department_group_ids.push(id.clone());
        let mut members = by_department[index].clone();
        if dept.name == "IT" {
            members.extend(tenant.others.iter().map(|o| o.id.clone()));
        }
        tenant.groups.push(SimGroup {
            id,
            display_name: Some(dept.name.to_owned()),
            description: Some(format!("Everyone in {}", dept.name)),
            mail: Some(format!(
                "{}@{mail_domain}",
                dept.name.to_lowercase().replace(' ', "-")
            )),
            security_enabled: true,
            mail_enabled: true,
            members,
        });
    }
    if tenant.groups.len() < groups {
        // "All Staff" holds the department groups: only transitively people.
        tenant.groups.push(SimGroup {
            id: rng.guid(),
            display_name: Some("All Staff".to_owned()),
            description: Some("Every department (nested groups)".to_owned()),
            mail: Some(format!("all-staff@{mail_domain}")),
            security_enabled: true,
            mail_enabled: true,
            members: department_group_ids,
        });
    }
    let mut project = 0;
    while tenant.groups.len() < groups && !tenant.users.is_empty() {
        let name = match PROJECTS.get(project) {
            Some(name) => (*name).to_owned(),
            None => format!("Working group {}", project + 1),
        };
        project += 1;
        let size = 3 + rng.below(20.min(tenant.users.len()));
        let mut members: Vec<String> = (0..size)
            .map(|_| rng.pick(&tenant.users).id.clone())
            .collect();
        members.sort();
        members.dedup();
        if rng.chance(30) {
            members.push(rng.pick(&tenant.others).id.clone());
        }
        tenant.groups.push(SimGroup {
            id: rng.guid(),
            display_name: Some(name),
            description: None,
            mail: None,
            security_enabled: true,
            mail_enabled: false,
            members,
        });
    }
    tenant
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_tenant() {
        assert_eq!(generate(200, 12, 7), generate(200, 12, 7));
        assert_ne!(generate(200, 12, 7), generate(200, 12, 8));
        assert_eq!(registration(7), registration(7));
    }

    #[test]
    fn tenants_hold_every_case_the_import_must_handle() {
        let t = generate(500, 12, 42);
        assert_eq!(t.users.len(), 500);
        assert_eq!(t.groups.len(), 12);
        let ids: std::collections::HashSet<_> = t.users.iter().map(|u| &u.id).collect();
        assert_eq!(ids.len(), 500, "ids are unique");
        let upns: std::collections::HashSet<_> = t
            .users
            .iter()
            .map(|u| u.user_principal_name.to_lowercase())
            .collect();
        assert_eq!(upns.len(), 500, "UPNs are unique");
        assert!(
            t.users
                .iter()
                .any(|u| u.user_type == "Guest" && u.user_principal_name.contains("#EXT#"))
        );
        assert!(t.users.iter().any(|u| !u.account_enabled));
        assert!(t.users.iter().any(|u| u.mail.is_none()));
        assert!(t.users.iter().any(|u| u.manager_id.is_some()));
        assert!(
            t.users
                .iter()
                .any(|u| u.display_name.as_deref().is_some_and(|n| n.contains('\'')))
        );
        assert!(t.users.iter().any(|u| {
            u.display_name
                .as_deref()
                .is_some_and(|n| n.chars().any(|c| c as u32 > 0x3000))
        }));
        assert!(t.users.iter().any(|u| {
            u.display_name
                .as_deref()
                .is_some_and(|n| n.contains('ö') || n.contains('é') || n.contains('ü'))
        }));
        let all_staff = t
            .groups
            .iter()
            .find(|g| g.display_name.as_deref() == Some("All Staff"))
            .unwrap();
        assert!(
            all_staff
                .members
                .iter()
                .all(|m| t.kind_of(m) == Some(MemberKind::Group)),
            "nested"
        );
        assert!(t.transitive_members(&all_staff.id).len() > 400);
        assert!(t.groups.iter().any(|g| {
            g.members
                .iter()
                .any(|m| t.kind_of(m) == Some(MemberKind::Device))
        }));
        assert!(generate(3, 0, 1).groups.is_empty());
    }

    #[test]
    fn guids_look_like_guids() {
        let g = Rng::new(1).guid();
        assert_eq!(g.len(), 36);
        assert_eq!(g.chars().filter(|c| *c == '-').count(), 4);
        assert_eq!(&g[14..15], "4");
    }
}
