//! `ensure_*` creates, updates or leaves resources alone, and binding edits
//! refuse to overwrite a concurrent change, against the emulator.

#![cfg(feature = "emulator")]

use std::time::Duration;

use cwsandbox_control::connect::{Channel, Code};
use cwsandbox_control::emulator::{Emulator, EmulatorHandle, Fault, Timings};
use cwsandbox_control::ops::BindOptions;
use cwsandbox_control::v1beta2::{
    ProfileSpec, ProfileTemplate, Runner, RunnerIdentity, RunnerProfileBinding,
    UpdateManagedRunnerRequest,
};
use cwsandbox_control::wkt::FieldMask;
use cwsandbox_control::{Client, Ensured};

async fn start() -> (EmulatorHandle, Client) {
    let emulator = Emulator::builder()
        .timings(Timings::instant())
        .start()
        .await
        .unwrap();
    let channel = Channel::builder(emulator.base_url())
        .bearer_token(emulator.admin_token().to_string())
        .build()
        .unwrap();
    (emulator, Client::new(channel))
}

fn template(name: &str, description: &str) -> ProfileTemplate {
    ProfileTemplate {
        display_name: name.to_string(),
        description: description.to_string(),
        spec: Some(ProfileSpec {
            runtime_class: "gvisor".to_string(),
            ..ProfileSpec::default()
        }),
        ..ProfileTemplate::default()
    }
}

fn runner(default_template: &str) -> Runner {
    Runner {
        display_name: "Lab (west)".to_string(),
        identity: Some(RunnerIdentity {
            zone: "US-WEST-09B".to_string(),
            cluster_name: "lab-west-cks".to_string(),
            ..RunnerIdentity::default()
        }),
        profile_bindings: vec![RunnerProfileBinding {
            profile_template_id: default_template.to_string(),
            is_default: true,
            ..RunnerProfileBinding::default()
        }],
        ..Runner::default()
    }
}

#[tokio::test]
async fn ensure_template_creates_then_leaves_alone() {
    let (emulator, client) = start().await;
    let created = client
        .ensure_profile_template(template("ensure-a", "first"))
        .await
        .unwrap();
    assert!(matches!(created, Ensured::Created(_)), "{created:?}");

    let again = client
        .ensure_profile_template(template("ensure-a", "first"))
        .await
        .unwrap();
    assert!(matches!(again, Ensured::Unchanged(_)), "{again:?}");
    assert_eq!(emulator.request_count("CreateProfileTemplate"), 1);
    assert_eq!(emulator.request_count("UpdateProfileTemplate"), 0);
}

#[tokio::test]
async fn ensure_template_updates_only_what_differs() {
    let (emulator, client) = start().await;
    client
        .ensure_profile_template(template("ensure-b", "first"))
        .await
        .unwrap();
    let updated = client
        .ensure_profile_template(template("ensure-b", "second"))
        .await
        .unwrap();
    let Ensured::Updated { resource, mask } = updated else {
        panic!("expected an update, got {updated:?}");
    };
    assert_eq!(mask.paths, ["description"]);
    assert_eq!(resource.description, "second");
    assert_eq!(emulator.request_count("UpdateProfileTemplate"), 1);
}

#[tokio::test]
async fn ensure_runner_creates_updates_and_settles() {
    let (emulator, client) = start().await;
    let Ensured::Created(first) = client
        .ensure_profile_template(template("ensure-c", "x"))
        .await
        .unwrap()
    else {
        panic!("template not created");
    };
    let created = client
        .ensure_runner("lab-west", runner(&first.id))
        .await
        .unwrap();
    assert!(matches!(created, Ensured::Created(_)), "{created:?}");

    let mut renamed = runner(&first.id);
    renamed.display_name = "Lab (west, renamed)".to_string();
    let updated = client
        .ensure_runner("lab-west", renamed.clone())
        .await
        .unwrap();
    let Ensured::Updated { mask, .. } = updated else {
        panic!("expected an update, got {updated:?}");
    };
    assert_eq!(mask.paths, ["display_name"]);

    let settled = client.ensure_runner("lab-west", renamed).await.unwrap();
    assert!(matches!(settled, Ensured::Unchanged(_)), "{settled:?}");
    assert_eq!(emulator.request_count("CreateManagedRunner"), 1);
    assert_eq!(emulator.request_count("UpdateManagedRunner"), 1);
}

#[tokio::test]
async fn bind_and_unbind_keep_other_bindings() {
    let (_emulator, client) = start().await;
    let Ensured::Created(first) = client
        .ensure_profile_template(template("bind-a", "x"))
        .await
        .unwrap()
    else {
        panic!("template not created");
    };
    let Ensured::Created(second) = client
        .ensure_profile_template(template("bind-b", "x"))
        .await
        .unwrap()
    else {
        panic!("template not created");
    };
    client
        .ensure_runner("lab-west", runner(&first.id))
        .await
        .unwrap();

    let options = BindOptions {
        default: true,
        ..BindOptions::default()
    };
    let bound = client
        .bind_profile("lab-west", &second.id, options)
        .await
        .unwrap();
    let defaults: Vec<_> = bound
        .profile_bindings
        .iter()
        .filter(|b| b.is_default)
        .collect();
    assert_eq!(bound.profile_bindings.len(), 2);
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0].profile_template_id, second.id);

    let status = client
        .unbind_profile("lab-west", &second.id)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status}");

    let unbound = client.unbind_profile("lab-west", &first.id).await.unwrap();
    assert_eq!(unbound.profile_bindings.len(), 1);
    assert_eq!(unbound.profile_bindings[0].profile_template_id, second.id);
}

#[tokio::test]
async fn bind_reports_a_concurrent_change() {
    let (emulator, client) = start().await;
    let Ensured::Created(first) = client
        .ensure_profile_template(template("race-a", "x"))
        .await
        .unwrap()
    else {
        panic!("template not created");
    };
    let Ensured::Created(second) = client
        .ensure_profile_template(template("race-b", "x"))
        .await
        .unwrap()
    else {
        panic!("template not created");
    };
    let Ensured::Created(created) = client
        .ensure_runner("lab-west", runner(&first.id))
        .await
        .unwrap()
    else {
        panic!("runner not created");
    };

    // Every GetRunner waits 300 ms before it is served, so another client's
    // update lands between the bind's first read and its check before writing.
    let slow_reads = Fault {
        delay: Duration::from_millis(300),
        ..Fault::default()
    };
    emulator.set_fault("GetRunner", slow_reads).unwrap();
    let binder = client.clone();
    let second_id = second.id.clone();
    let bind = tokio::spawn(async move {
        binder
            .bind_profile("lab-west", &second_id, BindOptions::default())
            .await
    });

    tokio::time::sleep(Duration::from_millis(450)).await;
    let mut changed = created.clone();
    changed.profile_bindings[0].profile_name = "renamed-by-another-client".to_string();
    let mask = FieldMask {
        paths: vec!["profile_bindings".to_string()],
    };
    let request = UpdateManagedRunnerRequest {
        runner: Some(changed),
        update_mask: Some(mask),
    };
    client.update_managed_runner(request).await.unwrap();

    let status = bind.await.unwrap().unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status}");
    assert_eq!(
        emulator.request_count("UpdateManagedRunner"),
        1,
        "the bind overwrote the change"
    );
}
