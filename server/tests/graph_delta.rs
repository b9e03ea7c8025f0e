//! Delta queries, emulator and client together over real HTTP
//! (graph-api.md §3): a first read pages to a deltaLink; later reads bring
//! only what changed (`@removed` users, `manager@delta`, `members@delta`
//! split over several appearances of a group); empty pages are followed;
//! only selected properties are tracked; `$top` is refused; and a token
//! Graph no longer knows is refused so that the client reads everything
//! again.

mod common;

use app::domain::directory::MemberKind;
use app::domain::directory_mirror::{
    GroupChange as GroupDelta, ManagerChange, UserChange as UserDelta,
};
use reqwest::StatusCode;
use serde_json::Value;
use server::graph::{DeltaError, GraphClient};
use server::graph_sim::generate::generate;
use server::graph_sim::{DeltaReset, Faults, GraphSim, SimGroup, SimObject, SimUser};
use std::collections::BTreeSet;

async fn users_since(client: &GraphClient, from: &str) -> (Vec<UserDelta>, u32, String) {
    let mut changes = Vec::new();
    let mut pages = 0;
    let link = client
        .read_users_delta(from, |page, progress| {
            changes.extend(page);
            pages = progress.pages;
        })
        .await
        .unwrap();
    (changes, pages, link)
}

async fn groups_since(client: &GraphClient, from: &str) -> (Vec<GroupDelta>, String) {
    let mut changes = Vec::new();
    let link = client
        .read_groups_delta(from, |page, _| changes.extend(page))
        .await
        .unwrap();
    (changes, link)
}

fn changed_ids(changes: &[UserDelta]) -> BTreeSet<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            UserDelta::Changed { user, .. } => Some(user.id.clone()),
            UserDelta::Removed { .. } => None,
        })
        .collect()
}

fn removed_ids(changes: &[UserDelta]) -> BTreeSet<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            UserDelta::Removed { id } => Some(id.clone()),
            UserDelta::Changed { .. } => None,
        })
        .collect()
}

fn new_user(id: &str) -> SimUser {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "displayName": "New Hire",
        "userPrincipalName": "new.hire@contoso.com",
        "mail": "new.hire@contoso.com",
    }))
    .unwrap()
}

#[tokio::test]
async fn a_first_read_pages_to_a_delta_link_and_later_reads_bring_only_changes() {
    let (sim, client) = common::emulator::start(450, 0, 61).await;
    let (first, pages, link) = users_since(&client, &client.users_delta_start()).await;
    assert_eq!(first.len(), 450);
    assert_eq!(pages, 3, "200 a page");
    assert!(link.contains("/users/delta?$deltatoken="), "{link}");
    let with_manager = first
        .iter()
        .filter(|c| {
            matches!(
                c,
                UserDelta::Changed {
                    manager: ManagerChange::Set(_),
                    ..
                }
            )
        })
        .count();
    assert!(with_manager > 0, "managers are tracked");

    // Nothing changed: an empty round and a new link.
    let (none, _, link) = users_since(&client, &link).await;
    assert!(none.is_empty(), "{none:?}");

    let ids: Vec<String> = sim.with_tenant(|t| t.users.iter().map(|u| u.id.clone()).collect());
    let (renamed, deleted, moved, boss) = (&ids[5], &ids[7], &ids[9], &ids[11]);
    sim.with_tenant(|t| {
        let user = t.users.iter_mut().find(|u| &u.id == renamed).unwrap();
        user.display_name = Some("Renamed Person".into());
        t.delete_user(deleted);
        let user = t.users.iter_mut().find(|u| &u.id == moved).unwrap();
        user.manager_id = Some(boss.clone());
        t.users
            .push(new_user("0000aaaa-0000-4000-8000-000000000001"));
    });
    let reports_of_deleted: BTreeSet<String> = first
        .iter()
        .filter_map(|c| match c {
            UserDelta::Changed {
                user,
                manager: ManagerChange::Set(m),
            } if m == deleted => Some(user.id.clone()),
            _ => None,
        })
        .collect();
    let (changes, _, link) = users_since(&client, &link).await;
    let mut expected: BTreeSet<String> = [renamed, moved]
        .into_iter()
        .cloned()
        .chain(["0000aaaa-0000-4000-8000-000000000001".to_owned()])
        .collect();
    // Those whose manager was deleted lost their manager: changed too.
    expected.extend(reports_of_deleted.iter().cloned());
    expected.remove(deleted);
    assert_eq!(changed_ids(&changes), expected);
    assert_eq!(removed_ids(&changes), BTreeSet::from([deleted.clone()]));
    for change in &changes {
        match change {
            UserDelta::Changed { user, manager } if &user.id == moved => {
                assert_eq!(manager, &ManagerChange::Set(boss.clone()));
            }
            UserDelta::Changed { user, manager } if reports_of_deleted.contains(&user.id) => {
                assert_eq!(manager, &ManagerChange::Removed, "{}", user.id);
            }
            UserDelta::Changed { user, .. } if &user.id == renamed => {
                assert_eq!(user.display_name.as_deref(), Some("Renamed Person"));
            }
            _ => {}
        }
    }
    let (none, _, _) = users_since(&client, &link).await;
    assert!(none.is_empty(), "each change is told once: {none:?}");
}

#[tokio::test]
async fn empty_pages_with_only_a_next_link_are_followed() {
    let (sim, client) = common::emulator::start(250, 0, 62).await;
    sim.set_faults(Faults {
        empty_pages: 3,
        ..Faults::default()
    });
    let (all, pages, _) = users_since(&client, &client.users_delta_start()).await;
    assert_eq!(all.len(), 250);
    assert_eq!(pages, 5, "three empty pages, then two of users");
}

#[tokio::test]
async fn members_delta_adds_and_removes_members_over_several_appearances() {
    let (sim, client) = common::emulator::start(80, 0, 63).await;
    let ids: Vec<String> = sim.with_tenant(|t| t.users.iter().map(|u| u.id.clone()).collect());
    let device = "dddddddd-0000-4000-8000-000000000001".to_owned();
    sim.with_tenant(|t| {
        t.others.push(SimObject {
            id: device.clone(),
            kind: MemberKind::Device,
            display_name: Some("Laptop".into()),
        });
        let mut members: Vec<String> = ids[..50].to_vec();
        members.push(device.clone());
        t.groups.push(SimGroup {
            id: "99999999-0000-4000-8000-000000000001".into(),
            display_name: Some("Support".into()),
            description: None,
            mail: None,
            security_enabled: true,
            mail_enabled: false,
            members,
        });
    });
    let (first, link) = groups_since(&client, &client.groups_delta_start()).await;
    let appearances: Vec<&GroupDelta> = first
        .iter()
        .filter(
            |g| matches!(g, GroupDelta::Changed { group, .. } if group.id.starts_with("99999999")),
        )
        .collect();
    assert_eq!(appearances.len(), 3, "51 members, 20 an appearance");
    let added: Vec<_> = appearances
        .iter()
        .flat_map(|g| match g {
            GroupDelta::Changed { members_added, .. } => members_added.clone(),
            GroupDelta::Removed { .. } => vec![],
        })
        .collect();
    assert_eq!(added.len(), 51);
    assert_eq!(
        added
            .iter()
            .filter(|m| m.kind == MemberKind::Device)
            .count(),
        1,
        "members keep their type"
    );

    sim.with_tenant(|t| {
        let group = &mut t.groups[0];
        group.members.retain(|m| !ids[..25].contains(m));
        group.members.push(ids[60].clone());
    });
    let (changes, link) = groups_since(&client, &link).await;
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for change in &changes {
        let GroupDelta::Changed {
            members_added,
            members_removed,
            ..
        } = change
        else {
            panic!("{change:?}")
        };
        added.extend(members_added.iter().map(|m| m.id.clone()));
        removed.extend(members_removed.iter().cloned());
    }
    assert_eq!(changes.len(), 2, "26 membership changes: two appearances");
    assert_eq!(added, vec![ids[60].clone()]);
    assert_eq!(
        removed.into_iter().collect::<BTreeSet<_>>(),
        ids[..25].iter().cloned().collect()
    );

    sim.with_tenant(|t| t.groups.clear());
    let (changes, _) = groups_since(&client, &link).await;
    assert_eq!(
        changes,
        vec![GroupDelta::Removed {
            id: "99999999-0000-4000-8000-000000000001".into()
        }]
    );
}

#[tokio::test]
async fn only_selected_properties_are_tracked_and_top_is_refused() {
    let sim = GraphSim::new(generate(20, 0, 64), 64, "");
    let base = common::emulator::serve(&sim).await;
    let client = common::emulator::client(
        &base,
        common::emulator::credentials(&sim),
        Default::default(),
    );
    let token = common::emulator::access_token(&sim, &base).await;
    let get = |url: String| {
        let token = token.clone();
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get(format!("{base}/v1.0/users/delta?$top=5")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Only displayName is tracked: a new job title is not a change.
    let (_, first) = get(format!("{base}/v1.0/users/delta?$select=displayName")).await;
    assert_eq!(first["value"].as_array().unwrap().len(), 20);
    let link = first["@odata.deltaLink"].as_str().unwrap().to_owned();
    sim.with_tenant(|t| t.users[0].job_title = Some("Chief Tester".into()));
    let (_, body) = get(link.clone()).await;
    assert!(body["value"].as_array().unwrap().is_empty(), "{body}");
    let link = body["@odata.deltaLink"].as_str().unwrap().to_owned();
    sim.with_tenant(|t| t.users[0].display_name = Some("Tess Ter".into()));
    let (_, body) = get(link).await;
    let value = body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["displayName"], "Tess Ter");

    // An empty token starts again (where a 410's Location points); one
    // this emulator never gave (another run's) is a sync state it lacks.
    let (status, again) = get(format!(
        "{base}/v1.0/users/delta?$select=displayName&$deltatoken="
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["value"].as_array().unwrap().len(), 20);
    let (status, unknown) = get(format!(
        "{base}/v1.0/users/delta?$deltatoken=RFNwdAIAAQAAABxyz"
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{unknown}");
    assert_eq!(unknown["error"]["code"], "syncStateNotFound");

    // Sync from now: a link and no data.
    let (_, latest) = get(format!("{base}/v1.0/users/delta?$deltatoken=latest")).await;
    assert!(latest["value"].as_array().unwrap().is_empty());
    assert!(latest["@odata.deltaLink"].is_string());
    drop(client);
}

#[tokio::test]
async fn a_token_graph_no_longer_knows_is_refused_so_everything_is_read_again() {
    let (sim, client) = common::emulator::start(30, 2, 65).await;
    for how in [
        DeltaReset::SyncStateNotFound,
        DeltaReset::ResyncRequired,
        DeltaReset::Gone,
    ] {
        let (_, _, link) = users_since(&client, &client.users_delta_start()).await;
        let (_, groups_link) = groups_since(&client, &client.groups_delta_start()).await;
        sim.expire_delta_tokens(how);
        let refused = client.read_users_delta(&link, |_, _| {}).await.unwrap_err();
        assert!(
            matches!(refused, DeltaError::TokenRefused { .. }),
            "{how:?}: {refused:?}"
        );
        let refused = client
            .read_groups_delta(&groups_link, |_, _| {})
            .await
            .unwrap_err();
        assert!(
            matches!(refused, DeltaError::TokenRefused { .. }),
            "{refused:?}"
        );
    }
    // A link that is not under the Graph root is never followed.
    let foreign = client
        .read_users_delta(
            "https://attacker.example/v1.0/users/delta?$deltatoken=x",
            |_, _| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(foreign, DeltaError::TokenRefused { .. }));
}
