//! A login storm for the integration tests: clients posting a wrong password through the
//! portal's form, each as its own (unknown) account, until the test stops them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::harness::*;

/// The clients of a running storm.
pub struct SignInStorm {
    stop: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<Vec<u16>>>,
}

impl SignInStorm {
    /// Starts `clients` clients; client `i` signs in as `user{i}`, one attempt after another,
    /// with the CSRF cookie and token of one fetched login form.
    pub async fn start(app: &Arc<TestApp>, clients: usize) -> Self {
        let mut form = app.browser();
        let token = app.login_form(&mut form).await;
        let cookie = form.cookie_header();
        let stop = Arc::new(AtomicBool::new(false));
        let busy = Arc::new(AtomicUsize::new(0));
        let tasks = (0..clients)
            .map(|i| {
                let (app, stop, busy) = (app.clone(), stop.clone(), busy.clone());
                let (token, cookie) = (token.clone(), cookie.clone());
                tokio::spawn(async move {
                    let mut statuses = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        let status = app
                            .req(reqwest::Method::POST, &app.portal_host, "/login")
                            .header("cookie", cookie.clone())
                            .form(&[
                                ("username", format!("user{i}")),
                                ("password", "wrong wrong wrong".to_owned()),
                                ("csrf", token.clone()),
                            ])
                            .send()
                            .await
                            .unwrap()
                            .status()
                            .as_u16();
                        if status == 503 {
                            busy.fetch_add(1, Ordering::SeqCst);
                        }
                        statuses.push(status);
                    }
                    statuses
                })
            })
            .collect();
        Self { stop, busy, tasks }
    }

    /// Waits until `n` sign-ins have been refused as busy (503); false if that takes over 30 s.
    pub async fn refused(&self, n: usize) -> bool {
        tokio::time::timeout(Duration::from_secs(30), async {
            while self.busy.load(Ordering::SeqCst) < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .is_ok()
    }

    /// Stops the clients and waits for them: every status they got.
    pub async fn stop(self) -> Vec<u16> {
        self.stop.store(true, Ordering::SeqCst);
        let mut statuses = Vec::new();
        for t in self.tasks {
            statuses.extend(t.await.unwrap());
        }
        statuses
    }
}
