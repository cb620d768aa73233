//! Errors keep their cause: a store that cannot open its file says why, and the underlying
//! error stays reachable as the source (for logs and callers that look at it), while the
//! operator sees each part of the message once.

use std::error::Error as _;

use gatehouse::store::sql::SqlUserStore;

use crate::binary::{Gate, run};
use crate::harness::*;

#[tokio::test]
async fn a_store_error_keeps_its_cause_and_says_it_once() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the database's directory should be.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let path = blocker.join("users.db");

    let Err(e) = SqlUserStore::open_sqlite(&path).await else {
        panic!("a database under a regular file opened");
    };
    let source = e.source().expect("the store error kept no source");
    let io = source
        .downcast_ref::<std::io::Error>()
        .unwrap_or_else(|| panic!("the source is not the io::Error: {source:?}"));
    assert!(
        e.to_string().ends_with(&io.to_string()),
        "{e} does not name its cause {io}"
    );

    // The CLI shows the cause exactly once.
    let gate = Gate::new(Opts::default(), |t| {
        t.get_mut("storage")
            .and_then(|s| s.as_table_mut())
            .unwrap()
            .insert("database".into(), path.display().to_string().into());
    })
    .await;
    let out = run(gate.command(&["user", "list"], &[]), None).await;
    assert!(!out.status.success(), "{}", out.show());
    let shown = out.show();
    assert_eq!(
        shown.matches(&io.to_string()).count(),
        1,
        "the cause is not shown exactly once: {shown}"
    );
}
