//! The `/api/webhooks` component: outbound webhook subscriptions (`settings` permission) and
//! `POST /internal/tick`, which delivers the due events. The only component with outbound
//! HTTP: `allowed_outbound_hosts` comes from the app's `webhook_hosts` variable.
//!
//! | path | methods |
//! |---|---|
//! | `/api/webhooks` | `GET` (`filter[active]`, `filter[style]`), `POST` (`Idempotency-Key`; the generated `secret` is in this answer only) |
//! | `/api/webhooks/<id>` | `GET`, `PATCH` (`If-Match`), `DELETE` |
//! | `/api/webhooks/<id>/pause` | `POST {"reason"?}` |
//! | `/api/webhooks/<id>/resume` | `POST` |
//! | `/api/webhooks/<id>/rotate-secret` | `POST`: the new `secret`, in this answer only |
//! | `/api/webhooks/<id>/deliveries` | `GET` newest first (`filter[status]`, `filter[event]`) |
//! | `/api/webhooks/<id>/deliveries/<d>` | `GET` with every attempt |
//! | `/api/webhooks/<id>/deliveries/<d>/retry` | `POST`: due now |
//! | `/internal/tick` | `POST` with `X-Tick-Secret: <tick_secret>`: sends what is due |

mod send;

use crm_core::resource::ListQuery;
use crm_core::webhooks::payload::Site;
use crm_core::webhooks::planner::{self, Outcome};
use crm_core::webhooks::{payload, subscription, tick};
use crm_spin_adapter::crud::{created_response, no_content, record_response};
use crm_spin_adapter::json_response;
use crm_spin_adapter::routes::{Answer, Cx, Routes};
use serde_json::{Value, json};

crm_spin_adapter::component!(
    Routes::new("/api/webhooks")
        .get("", list)
        .post("", create)
        .get("/<id:id>", get)
        .patch("/<id:id>", update)
        .delete("/<id:id>", delete)
        .post("/<id:id>/pause", pause)
        .post("/<id:id>/resume", resume)
        .post("/<id:id>/rotate-secret", rotate_secret)
        .get("/<id:id>/deliveries", deliveries)
        .get("/<id:id>/deliveries/<delivery:id>", delivery)
        .post("/<id:id>/deliveries/<delivery:id>/retry", retry)
        .merge(Routes::new("/internal").post("/tick", run_tick))
);

fn list(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let query = ListQuery::parse(&cx.query(), subscription::FILTERS)?;
    Ok(json_response(200, &subscription::list(&me.db, &me.caller, &query)?))
}

fn create(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    created_response(cx.request, &me.db, &me.caller, "/api/webhooks", |db| {
        subscription::create(db, &me.caller, &body, &me.client)
    })
}

fn get(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &subscription::get(&me.db, &me.caller, cx.id("id")?)?,
    ))
}

fn update(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = cx.json()?;
    let updated = subscription::update(&me.db, &me.caller, cx.id("id")?, &body, cx.if_match()?, &me.client)?;
    Ok(record_response(200, &updated))
}

fn delete(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    subscription::delete(&me.db, &me.caller, cx.id("id")?, cx.if_match()?, &me.client)?;
    Ok(no_content())
}

fn pause(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let body: Value = if cx.request.body().is_empty() {
        json!({})
    } else {
        cx.json()?
    };
    let reason = body.get("reason").and_then(Value::as_str);
    let paused = subscription::pause(&me.db, &me.caller, cx.id("id")?, reason, &me.client)?;
    Ok(record_response(200, &paused))
}

fn resume(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &subscription::resume(&me.db, &me.caller, cx.id("id")?, &me.client)?,
    ))
}

fn rotate_secret(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(record_response(
        200,
        &subscription::rotate_secret(&me.db, &me.caller, cx.id("id")?, &me.client)?,
    ))
}

fn deliveries(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    let query = ListQuery::parse(&cx.query(), planner::FILTERS)?;
    Ok(json_response(
        200,
        &planner::deliveries(&me.db, &me.caller, cx.id("id")?, &query)?,
    ))
}

fn delivery(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(
        200,
        &planner::delivery_with_attempts(&me.db, &me.caller, cx.id("id")?, cx.id("delivery")?)?,
    ))
}

fn retry(cx: &Cx) -> Answer {
    let me = cx.signed_in()?;
    Ok(json_response(
        200,
        &planner::retry(&me.db, &me.caller, cx.id("id")?, cx.id("delivery")?, &me.client)?,
    ))
}

/// `POST /internal/tick`: claims due deliveries batch by batch and sends them until the
/// budget is spent, recording each attempt; answers what it did.
fn run_tick(cx: &Cx) -> Answer {
    let configured = spin_sdk::variables::get("tick_secret").ok();
    tick::authorize(configured.as_deref(), cx.header(tick::HEADER))?;
    let db = cx.db()?;
    let site = Site {
        origin: cx.origin().to_string(),
    };
    let started = std::time::Instant::now();
    let budget = std::time::Duration::from_millis(tick::BUDGET_MS);
    let pruned = planner::prune(&db, crm_core::clock::now())?;
    let (mut delivered, mut failed, mut paused, mut released) = (0, 0, Vec::<i64>::new(), 0);
    let mut sent = 0;
    'ticking: while sent < tick::MAX_PER_TICK && started.elapsed() < budget {
        let batch = planner::claim_due(&db, crm_core::clock::now(), tick::BATCH)?;
        if batch.is_empty() {
            break;
        }
        for (i, due) in batch.iter().enumerate() {
            if started.elapsed() >= budget {
                let rest: Vec<i64> = batch[i..].iter().map(|d| d.id).collect();
                released += rest.len();
                planner::release(&db, &rest, crm_core::clock::now())?;
                break 'ticking;
            }
            if paused.contains(&due.webhook_id) {
                released += 1;
                planner::release(&db, &[due.id], crm_core::clock::now())?;
                continue;
            }
            let now = crm_core::clock::now();
            let message = payload::build(&db, due, &site, now)?;
            let attempt_started = std::time::Instant::now();
            let outcome = match send::post(&due.url, &message) {
                Ok(status) if (200..300).contains(&status) => Outcome::Delivered { status },
                Ok(status) => Outcome::Failed {
                    status: Some(status),
                    error: format!("HTTP {status}"),
                },
                Err(error) => Outcome::Failed { status: None, error },
            };
            let took = i64::try_from(attempt_started.elapsed().as_millis()).unwrap_or(i64::MAX);
            let recorded = planner::record_attempt(&db, due, &outcome, crm_core::clock::now(), took)?;
            sent += 1;
            match outcome {
                Outcome::Delivered { .. } => delivered += 1,
                Outcome::Failed { .. } => failed += 1,
            }
            if recorded.paused {
                paused.push(due.webhook_id);
            }
        }
    }
    Ok(json_response(
        200,
        &json!({"delivered": delivered, "failed": failed, "paused": paused, "released": released, "pruned": pruned}),
    ))
}
