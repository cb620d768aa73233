//! The user store on PostgreSQL: `storage.database = "postgres://…"` is taken (and its
//! password never shown), a shared database needs a shared key, an unreachable server stops
//! the start with a clear message, and the flows run on it. The rest of the suite runs on
//! PostgreSQL too when `GATEHOUSE_TEST_USER_STORE=postgres` (scripts/test.sh does a second
//! pass).

use std::path::Path;

use gatehouse::config::{Database, load_str};

use crate::harness::user_store::{self, fresh_postgres_database};
use crate::harness::{Opts, Store, TestApp};

const PW: &str = "correct horse battery staple";

const MINIMAL: &str = r#"
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
[[sites]]
host = "app.example.com"
upstream = "http://127.0.0.1:8080"
[secrets]
key = "a-shared-key-of-at-least-32-characters-0123"
"#;

#[test]
fn postgres_urls_are_taken_and_their_passwords_never_shown() {
    for url in [
        "postgres://gate:s3cret@db.internal:5432/gatehouse",
        "postgresql://gate:s3cret@db.internal/gatehouse?sslmode=disable",
    ] {
        let text = format!("{MINIMAL}[storage]\ndatabase = \"{url}\"\n");
        let c = load_str(&text, Path::new("/tmp"), std::iter::empty())
            .unwrap_or_else(|p| panic!("{url}: {p:?}"));
        let Database::Postgres(got) = &c.database else {
            panic!("{url} taken as {:?}", c.database);
        };
        assert_eq!(got.expose(), url);
        assert!(c.database.describe().starts_with("postgres"));
        assert!(c.database.describe().contains("db.internal"));
        assert!(!c.database.describe().contains("s3cret"), "{url}");
        assert!(!format!("{c:?}").contains("s3cret"), "{url}");
    }
    // Nothing beside the config is created for it (a URL was once taken as a file name).
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{MINIMAL}[storage]\ndatabase = \"postgres://db/users\"\n");
    load_str(&text, dir.path(), std::iter::empty()).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_url_may_come_from_a_secret_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("db_url");
    std::fs::write(&file, "postgres://gate:s3cret@db.internal/gatehouse\n").unwrap();
    crate::harness::private(&file);
    let vars = [(
        "GATEHOUSE_STORAGE__DATABASE_FILE".to_owned(),
        file.display().to_string(),
    )];
    let c = load_str(MINIMAL, dir.path(), vars).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(
        c.database,
        Database::Postgres(gatehouse::domain::secret::SecretString::new(
            "postgres://gate:s3cret@db.internal/gatehouse"
        ))
    );
}

#[test]
fn a_shared_database_needs_a_key_every_instance_holds() {
    let text = MINIMAL.replace(
        "[secrets]\nkey = \"a-shared-key-of-at-least-32-characters-0123\"\n",
        "",
    );
    let text = format!("{text}[storage]\ndatabase = \"postgres://db/users\"\n");
    let problems = load_str(&text, Path::new("/tmp"), std::iter::empty()).unwrap_err();
    let p = problems
        .iter()
        .find(|p| p.key == "secrets.key")
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert!(p.message.contains("PostgreSQL"), "{p:?}");
    // A SQLite file keeps generating its key beside it.
    let text = format!(
        "{}[storage]\ndatabase = \"users.db\"\n",
        MINIMAL.replace(
            "[secrets]\nkey = \"a-shared-key-of-at-least-32-characters-0123\"\n",
            ""
        )
    );
    load_str(&text, Path::new("/tmp"), std::iter::empty()).unwrap();
}

#[tokio::test]
async fn an_unreachable_server_stops_the_start_naming_it_without_the_password() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "{MINIMAL}[storage]\ndatabase = \"postgres://gate:s3cret@127.0.0.1:{port}/users\"\n"
    );
    let config = load_str(&text, Path::new("/tmp"), std::iter::empty()).unwrap();
    let Err(e) = gatehouse::compose::build(config).await else {
        panic!("started without its database");
    };
    let shown = format!("{e:#}");
    assert!(shown.contains("storage.database"), "{shown}");
    assert!(shown.contains("cannot connect to PostgreSQL"), "{shown}");
    assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[tokio::test]
async fn sign_in_and_credentials_live_in_postgres() {
    let url = fresh_postgres_database(&format!(
        "t_store_{}",
        gatehouse::domain::secret::random_token(6)
            .to_ascii_lowercase()
            .replace('-', "_")
    ));
    let overlay = format!("[storage]\ndatabase = \"{url}\"\n");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    assert!(matches!(app.database, Database::Postgres(_)));
    app.add_user("alice", PW, &["users"]).await;
    // The row is in PostgreSQL, not in a file beside the config.
    let name = user_store::text(&app.database, "SELECT username FROM users").await;
    assert_eq!(name, "alice");
    assert!(!app.dir.path().join("users.db").exists());
    let mut b = app.login("alice", PW).await;
    let resp = b.send(app.get("app.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 200);
    // A second instance on the same database knows alice.
    let other = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let mut b = other.login("alice", PW).await;
    let resp = b.send(other.get("app.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn the_suite_runs_on_the_store_it_was_asked_for() {
    let app = TestApp::spawn(Opts::default()).await;
    assert_eq!(
        matches!(app.database, Database::Postgres(_)),
        user_store::on_postgres(),
        "{:?}",
        app.database
    );
}

#[tokio::test]
async fn tls_to_postgres_is_verified_against_the_ca_the_url_names() {
    let ca = std::env::var("GATEHOUSE_TEST_POSTGRES_CA").unwrap_or_else(|_| {
        panic!("GATEHOUSE_TEST_POSTGRES_CA is not set: run scripts/test.sh, which starts PostgreSQL with TLS")
    });
    let name = format!(
        "t_tls_{}",
        gatehouse::domain::secret::random_token(6)
            .to_ascii_lowercase()
            .replace('-', "_")
    );
    let url = fresh_postgres_database(&name);
    let tls = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    let app = TestApp::spawn(Opts::with(
        Store::Memory,
        &format!("[storage]\ndatabase = \"{tls}\"\n"),
    ))
    .await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    let resp = b.send(app.get("app.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 200);
    // The server says the app's connections are encrypted.
    let admin = Database::Postgres(gatehouse::domain::secret::SecretString::new(
        user_store::postgres_url(),
    ));
    let encrypted = user_store::text(
        &admin,
        &format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = '{name}' AND a.application_name = 'gatehouse' AND s.ssl"
        ),
    )
    .await;
    assert_ne!(encrypted, "0");
    // Verified: without the CA, the system roots do not vouch for the server, and the start fails.
    let text = format!("{MINIMAL}[storage]\ndatabase = \"{url}?sslmode=verify-full\"\n");
    let config = load_str(&text, Path::new("/tmp"), std::iter::empty()).unwrap();
    let Err(e) = gatehouse::compose::build(config).await else {
        panic!("connected to a server no trusted root vouches for");
    };
    assert!(format!("{e:#}").contains("storage.database"), "{e:#}");
}
