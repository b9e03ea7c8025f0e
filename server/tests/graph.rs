//! The Graph client against the emulator, over real HTTP: paging, retries,
//! sign-in errors, permissions, groups and managers. Waits are recorded,
//! not slept, so every retry assertion is exact and fast.

use app::domain::directory::DirectoryUser;
use app::domain::profile::ProfileField;
use secrecy::SecretString;
use server::graph::{
    Cloud, Credentials, Endpoints, FetchProgress, GraphClient, GraphError, RetryPolicy,
    SignInFailure,
};
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim, Tenant};
use std::sync::Arc;
use std::time::Duration;

struct Sim {
    sim: GraphSim,
    base: String,
}

async fn start(tenant: Tenant) -> Sim {
    let sim = GraphSim::new(tenant, 11, "");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Sim { sim, base }
}

impl Sim {
    fn credentials(&self) -> Credentials {
        self.sim.registration().credentials()
    }

    fn client_with(&self, credentials: Credentials) -> GraphClient {
        let endpoints =
            Endpoints::for_cloud(Cloud::Global).with_overrides(Some(&self.base), Some(&self.base));
        let policy = RetryPolicy {
            request_timeout: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        GraphClient::new(endpoints, credentials, policy)
            .unwrap()
            .with_sleeper(Arc::new(|_| Box::pin(async {})))
    }

    fn client(&self) -> GraphClient {
        self.client_with(self.credentials())
    }

    fn faults(&self, faults: Faults) {
        self.sim.set_faults(faults);
    }
}

async fn all_users(
    client: &GraphClient,
) -> Result<(Vec<DirectoryUser>, Vec<FetchProgress>), GraphError> {
    let mut users = Vec::new();
    let mut progress = Vec::new();
    client
        .list_users(true, |page, p| {
            users.extend(page);
            progress.push(p);
        })
        .await?;
    Ok((users, progress))
}

#[tokio::test]
async fn fetches_more_than_999_users_page_by_page_with_the_total_first() {
    let tenant = generate(2500, 12, 3);
    let expected: Vec<String> = tenant.users.iter().map(|u| u.id.clone()).collect();
    let sim = start(tenant).await;
    let client = sim.client();
    let (users, progress) = all_users(&client).await.unwrap();
    assert_eq!(
        users.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        expected
    );
    let sizes: Vec<u64> = progress.iter().map(|p| p.items_so_far).collect();
    assert_eq!(
        sizes,
        vec![999, 1998, 2500],
        "each page handed on as it arrived"
    );
    assert!(
        progress.iter().all(|p| p.total == Some(2500)),
        "the total from page one: {progress:?}"
    );
    assert_eq!(sim.sim.token_requests(), 1, "one token serves every page");
    assert!(client.waits().is_empty());
}

#[tokio::test]
async fn short_and_empty_pages_are_followed_to_the_end() {
    let sim = start(generate(300, 0, 4)).await;
    sim.faults(Faults {
        max_page_size: Some(120),
        // The first answers the count's own request (which still counts).
        empty_pages: 4,
        ..Faults::default()
    });
    let (users, progress) = all_users(&sim.client()).await.unwrap();
    assert_eq!(users.len(), 300);
    assert_eq!(progress[0].total, Some(300));
    assert_eq!(progress.len(), 6, "3 empty pages, then 120 + 120 + 60");
    assert_eq!(progress[2].items_so_far, 0);
    assert_eq!(progress[3].items_so_far, 120);
}

#[tokio::test]
async fn maps_every_property_the_manager_and_the_addresses_with_the_users() {
    let mut tenant = generate(400, 0, 5);
    tenant.users[7].business_phones = vec!["+353 1 555 0100".into(), "+353 1 555 0199".into()];
    let sim = start(tenant.clone()).await;
    let (users, _) = all_users(&sim.client()).await.unwrap();
    let joined = |phones: &[String]| Some(phones.join("; ")).filter(|p| !p.is_empty());
    for (mapped, source) in users.iter().zip(&tenant.users) {
        assert_eq!(mapped.display_name, source.display_name);
        assert_eq!(mapped.mail, source.mail);
        assert_eq!(mapped.account_enabled, Some(source.account_enabled));
        let profile = &mapped.profile;
        assert_eq!(
            profile.get(ProfileField::BusinessPhones).map(str::to_owned),
            joined(&source.business_phones)
        );
        assert_eq!(
            profile.get(ProfileField::CompanyName),
            source.company_name.as_deref()
        );
        assert_eq!(
            profile.get(ProfileField::EmployeeType),
            source.employee_type.as_deref()
        );
        assert_eq!(profile.get(ProfileField::City), source.city.as_deref());
        assert_eq!(
            profile.get(ProfileField::Country),
            source.country.as_deref()
        );
        assert_eq!(
            profile.get(ProfileField::UsageLocation),
            source.usage_location.as_deref()
        );
        assert_eq!(
            profile.get(ProfileField::PreferredLanguage),
            source.preferred_language.as_deref()
        );
        assert_eq!(
            profile.get(ProfileField::EmployeeHireDate),
            source.employee_hire_date.as_deref()
        );
        assert_eq!(
            profile.get(ProfileField::Department),
            source.department.as_deref()
        );
        assert_eq!(
            mapped.manager_id, source.manager_id,
            "manager of {}",
            source.id
        );
        assert_eq!(mapped.proxy_addresses, source.proxy_addresses);
        assert_eq!(mapped.other_mails, source.other_mails);
        assert_eq!(mapped.is_guest(), source.user_type == "Guest");
    }
    assert_eq!(
        users[7].profile.get(ProfileField::BusinessPhones),
        Some("+353 1 555 0100; +353 1 555 0199"),
        "every business phone"
    );
    assert!(users.iter().any(|u| u.manager_id.is_some()));
    assert!(users.iter().any(|u| u.smtp_aliases().count() == 2));
    assert!(users.iter().any(|u| !u.other_mails.is_empty()));
    assert!(users.iter().any(|u| u.mail.is_none()));
    assert!(
        users
            .iter()
            .any(|u| u.profile.get(ProfileField::BusinessPhones).is_none())
    );
    assert!(users.iter().any(|u| {
        u.display_name
            .as_deref()
            .is_some_and(|n| n.chars().any(|c| c as u32 > 0x3000))
    }));
}

#[tokio::test]
async fn throttling_is_retried_honouring_retry_after() {
    let sim = start(generate(2500, 0, 6)).await;
    sim.faults(Faults {
        throttle_every: Some(2),
        retry_after_secs: Some(7),
        ..Faults::default()
    });
    let client = sim.client();
    let (users, _) = all_users(&client).await.unwrap();
    assert_eq!(users.len(), 2500);
    let waits = client.waits();
    assert!(!waits.is_empty(), "there were 429s");
    assert!(
        waits.iter().all(|w| *w == Duration::from_secs(7)),
        "{waits:?}"
    );
}

#[tokio::test]
async fn outages_and_dropped_connections_are_retried_with_backoff() {
    let sim = start(generate(50, 0, 7)).await;
    sim.faults(Faults {
        unavailable_next: 2,
        unavailable_status: 504,
        ..Faults::default()
    });
    let client = sim.client();
    assert_eq!(all_users(&client).await.unwrap().0.len(), 50);
    let waits = client.waits();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(
        waits[0] >= Duration::from_secs(3) && waits[0] <= Duration::from_millis(4500),
        "{waits:?}"
    );
    assert!(
        waits[1] >= Duration::from_secs(6) && waits[1] <= Duration::from_secs(9),
        "{waits:?}"
    );

    sim.faults(Faults {
        drop_next: 2,
        ..Faults::default()
    });
    let client = sim.client();
    assert_eq!(all_users(&client).await.unwrap().0.len(), 50);
    assert_eq!(
        client.waits().len(),
        2,
        "a dropped connection is retried like a 503"
    );
}

#[tokio::test]
async fn gives_up_after_the_bound_and_says_so() {
    let sim = start(generate(10, 0, 8)).await;
    sim.faults(Faults {
        unavailable_next: 1000,
        unavailable_retry_after_secs: Some(2),
        ..Faults::default()
    });
    let client = sim.client();
    let error = all_users(&client).await.unwrap_err();
    match &error {
        GraphError::GaveUp {
            attempts,
            waited,
            last,
        } => {
            assert_eq!(*attempts, 6);
            assert_eq!(*waited, Duration::from_secs(10));
            assert!(last.starts_with("503"), "{last}");
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("after 6 attempts over 10 seconds"),
        "{error}"
    );

    sim.faults(Faults {
        throttle_every: Some(1),
        retry_after_secs: Some(3600),
        ..Faults::default()
    });
    let error = all_users(&sim.client()).await.unwrap_err();
    assert!(
        matches!(error, GraphError::GaveUp { attempts: 1, .. }),
        "a wait past the bound is not taken: {error:?}"
    );
}

#[tokio::test]
async fn every_sign_in_error_is_mapped_to_its_fix() {
    let sim = start(generate(5, 0, 9)).await;
    let good = sim.credentials();

    let wrong_secret = Credentials {
        client_secret: SecretString::from("the-secret-id-not-value".to_owned()),
        ..good.clone()
    };
    let e = all_users(&sim.client_with(wrong_secret)).await.unwrap_err();
    assert_eq!(e, GraphError::SignIn(SignInFailure::WrongSecret));
    assert!(e.to_string().contains("Value, not its ID"));
    assert!(
        !format!("{e} {e:?}").contains("the-secret-id-not-value"),
        "the secret never appears"
    );

    let wrong_tenant = Credentials {
        tenant_id: "00000000-0000-0000-0000-000000000000".into(),
        ..good.clone()
    };
    let e = all_users(&sim.client_with(wrong_tenant)).await.unwrap_err();
    assert!(
        matches!(e, GraphError::SignIn(SignInFailure::TenantNotFound { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("cloud"));

    let wrong_app = Credentials {
        client_id: "11111111-1111-1111-1111-111111111111".into(),
        ..good.clone()
    };
    let e = all_users(&sim.client_with(wrong_app)).await.unwrap_err();
    assert!(
        matches!(e, GraphError::SignIn(SignInFailure::AppNotFound { .. })),
        "{e:?}"
    );

    sim.faults(Faults {
        expired_secret: true,
        ..Faults::default()
    });
    let e = all_users(&sim.client_with(good)).await.unwrap_err();
    assert_eq!(e, GraphError::SignIn(SignInFailure::ExpiredSecret));
    assert!(e.to_string().contains("expired"));
}

#[tokio::test]
async fn missing_consent_and_missing_roles_are_reported() {
    let sim = start(generate(5, 3, 10)).await;
    let report = sim.client().check_permissions().await.unwrap();
    assert!(report.consent_granted);
    assert_eq!(report.missing, Vec::<&str>::new());
    assert_eq!(
        report.tenant_id.as_deref(),
        Some(sim.sim.registration().tenant_id.as_str())
    );

    sim.faults(Faults {
        no_roles: true,
        ..Faults::default()
    });
    let client = sim.client();
    let report = client.check_permissions().await.unwrap();
    assert!(!report.consent_granted);
    assert_eq!(
        report.missing,
        vec!["User.Read.All", "Group.Read.All", "Directory.Read.All"]
    );
    let e = all_users(&client).await.unwrap_err();
    assert_eq!(
        e,
        GraphError::MissingConsent {
            permission: "User.Read.All"
        }
    );
    assert!(e.to_string().contains("Grant admin consent"));

    sim.faults(Faults {
        roles: Some(vec!["User.Read.All".into()]),
        ..Faults::default()
    });
    let client = sim.client();
    let report = client.check_permissions().await.unwrap();
    assert_eq!(report.granted, vec!["User.Read.All"]);
    assert_eq!(report.missing, vec!["Group.Read.All", "Directory.Read.All"]);
    assert_eq!(all_users(&client).await.unwrap().0.len(), 5);
    let e = client.list_groups(false, |_, _| {}).await.unwrap_err();
    assert_eq!(
        e,
        GraphError::MissingConsent {
            permission: "Group.Read.All"
        }
    );
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once() {
    let sim = start(generate(5, 0, 12)).await;
    let client = sim.client();
    all_users(&client).await.unwrap();
    sim.sim.revoke_tokens();
    assert_eq!(all_users(&client).await.unwrap().0.len(), 5);
    assert_eq!(sim.sim.token_requests(), 2, "one refresh after the 401");
}

#[tokio::test]
async fn malformed_answers_are_errors_not_guesses() {
    let sim = start(generate(5, 0, 13)).await;
    sim.faults(Faults {
        malformed_next: 1,
        ..Faults::default()
    });
    let e = all_users(&sim.client()).await.unwrap_err();
    assert!(matches!(e, GraphError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("could not read"));
}

#[tokio::test]
async fn groups_members_and_managers() {
    let tenant = generate(300, 12, 14);
    let sim = start(tenant.clone()).await;
    let client = sim.client();
    let mut groups = Vec::new();
    client
        .list_groups(false, |page, _| groups.extend(page))
        .await
        .unwrap();
    assert_eq!(groups.len(), 12);

    let it = tenant
        .groups
        .iter()
        .find(|g| g.display_name.as_deref() == Some("IT"))
        .unwrap();
    let ids = client.group_user_ids(&it.id, false).await.unwrap();
    let expected_users: Vec<_> = it
        .members
        .iter()
        .filter(|m| tenant.users.iter().any(|u| &u.id == *m))
        .cloned()
        .collect();
    assert_eq!(
        ids, expected_users,
        "devices, contacts and service principals are left out"
    );
    assert!(it.members.len() > ids.len());

    let all_staff = tenant
        .groups
        .iter()
        .find(|g| g.display_name.as_deref() == Some("All Staff"))
        .unwrap();
    assert!(
        client
            .group_user_ids(&all_staff.id, false)
            .await
            .unwrap()
            .is_empty(),
        "only nested groups directly"
    );
    let everyone = client.group_user_ids(&all_staff.id, true).await.unwrap();
    let members = tenant
        .users
        .iter()
        .filter(|u| u.user_type == "Member")
        .count();
    assert_eq!(everyone.len(), members, "nested groups flattened");

    let with_manager = tenant
        .users
        .iter()
        .find(|u| u.manager_id.is_some())
        .unwrap();
    assert_eq!(
        client.manager_id(&with_manager.id).await.unwrap(),
        with_manager.manager_id
    );
    let head = tenant
        .users
        .iter()
        .find(|u| u.manager_id.is_none() && u.user_type == "Member")
        .unwrap();
    assert_eq!(
        client.manager_id(&head.id).await.unwrap(),
        None,
        "404 means no manager"
    );
}

#[tokio::test]
async fn the_app_reads_its_own_secrets_and_finds_the_one_it_signs_in_with() {
    use app::domain::connection::secret_expiry::find_expiry;
    let sim = start(generate(5, 0, 3)).await;
    let client = sim.client();
    let app = client.app_credentials().await.unwrap();
    assert_eq!(app.app_name.as_deref(), Some("dirsync"));
    assert_eq!(app.credentials.len(), 2);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let hint = client.secret_hint();
    assert_eq!(hint.chars().count(), 3);
    let found = find_expiry(&app.credentials, &hint, app.app_name.as_deref(), now).unwrap();
    let days = (found.expires_at - now) / 86_400_000;
    assert!((179..=180).contains(&days), "{days}");
    assert_eq!(found.sharing_hint, 1, "the expired secret has another hint");

    // Without a permission that reads applications: the admin's message.
    sim.faults(Faults {
        roles: Some(vec!["User.Read.All".into(), "Group.Read.All".into()]),
        ..Faults::default()
    });
    let client = sim.client();
    let refused = client.app_credentials().await.unwrap_err();
    assert!(
        matches!(
            refused,
            GraphError::MissingConsent {
                permission: "Directory.Read.All"
            }
        ),
        "{refused:?}"
    );
}
