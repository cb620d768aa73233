//! A login storm for the integration tests: clients posting a wrong password through the
//! portal's form, each as its own (unknown) account, until the test stops them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::*;

/// The clients of a running storm.
pub struct SignInStorm {
    stop: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
    first_busy: Arc<Mutex<Option<BusyAnswer>>>,
    tasks: Vec<tokio::task::JoinHandle<Vec<u16>>>,
}

/// The first answer refused as busy: who asked, its headers and its page.
#[derive(Clone, Debug)]
pub struct BusyAnswer {
    pub username: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
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
        let first_busy = Arc::new(Mutex::new(None));
        let tasks = (0..clients)
            .map(|i| {
                let (app, stop, busy) = (app.clone(), stop.clone(), busy.clone());
                let first_busy = first_busy.clone();
                let (token, cookie) = (token.clone(), cookie.clone());
                tokio::spawn(async move {
                    let mut statuses = Vec::new();
                    let username = format!("user{i}");
                    while !stop.load(Ordering::SeqCst) {
                        let resp = app
                            .req(reqwest::Method::POST, &app.portal_host, "/login")
                            .header("cookie", cookie.clone())
                            .form(&[
                                ("username", username.clone()),
                                ("password", "wrong wrong wrong".to_owned()),
                                ("csrf", token.clone()),
                            ])
                            .send()
                            .await
                            .unwrap();
                        let status = resp.status().as_u16();
                        if status == 503 {
                            let headers = resp.headers().clone();
                            let body = resp.text().await.unwrap_or_default();
                            first_busy.lock().unwrap().get_or_insert(BusyAnswer {
                                username: username.clone(),
                                headers,
                                body,
                            });
                            busy.fetch_add(1, Ordering::SeqCst);
                        }
                        statuses.push(status);
                    }
                    statuses
                })
            })
            .collect();
        Self {
            stop,
            busy,
            first_busy,
            tasks,
        }
    }

    /// The first answer refused as busy, if any.
    pub fn first_busy(&self) -> Option<BusyAnswer> {
        self.first_busy.lock().unwrap().clone()
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
