use super::*;

fn rule(hosts: &[&str], paths: Vec<PathMatcher>, policy: Policy) -> Rule {
    Rule {
        hosts: hosts
            .iter()
            .map(|h| HostPattern::parse(h).unwrap())
            .collect(),
        paths,
        methods: vec![],
        networks: vec![],
        subjects: vec![],
        policy,
        case_insensitive_paths: None,
    }
}

fn facts<'a>(host: &'a str, path: &'a str) -> RequestFacts<'a> {
    RequestFacts {
        host,
        path,
        method: "GET",
        client_ip: "203.0.113.9".parse().unwrap(),
    }
}

fn alice(level: AuthLevel) -> (Vec<String>, AuthLevel) {
    (vec!["users".to_owned()], level)
}

#[test]
fn first_matching_rule_wins_and_default_applies() {
    let rules = AccessRules {
        rules: vec![
            rule(
                &["app.example.com"],
                vec![PathMatcher::Prefix("/public".into())],
                Policy::Bypass,
            ),
            rule(&["*.example.com"], vec![], Policy::OneFactor),
        ],
        default_policy: Policy::Deny,
    };
    assert_eq!(
        decide(&rules, &facts("app.example.com", "/public/x"), None),
        Decision::Allow
    );
    assert_eq!(
        decide(&rules, &facts("app.example.com", "/publicity"), None),
        Decision::Login
    );
    assert_eq!(
        decide(&rules, &facts("other.test", "/"), None),
        Decision::Forbidden
    );
}

#[test]
fn prefix_is_segment_aware() {
    assert!(prefix_matches("/app", "/app"));
    assert!(prefix_matches("/app", "/app/x"));
    assert!(!prefix_matches("/app", "/application"));
    assert!(prefix_matches("/app/", "/app/x"));
    assert!(prefix_matches("/", "/anything"));
}

#[test]
fn regex_sees_the_canonical_path() {
    let rules = AccessRules {
        rules: vec![rule(
            &[],
            vec![PathMatcher::regex("^/admin(/|$)").unwrap()],
            Policy::Deny,
        )],
        default_policy: Policy::Bypass,
    };
    assert_eq!(
        decide(&rules, &facts("h", "/admin"), None),
        Decision::Forbidden
    );
    assert_eq!(
        decide(&rules, &facts("h", "/admin/users"), None),
        Decision::Forbidden
    );
    assert_eq!(
        decide(&rules, &facts("h", "/administrator"), None),
        Decision::Allow
    );
}

#[test]
fn subject_rules_need_a_login_then_match_users_and_groups() {
    let mut admin_only = rule(&[], vec![], Policy::OneFactor);
    admin_only.subjects = vec![Subject::Group("admins".into()), Subject::User("bob".into())];
    let rules = AccessRules {
        rules: vec![admin_only],
        default_policy: Policy::Deny,
    };
    let f = facts("h", "/");
    assert_eq!(decide(&rules, &f, None), Decision::Login);
    let (groups, level) = alice(AuthLevel::OneFactor);
    let a = Identity {
        username: "alice",
        groups: &groups,
        level,
    };
    assert_eq!(decide(&rules, &f, Some(&a)), Decision::Forbidden);
    let b = Identity {
        username: "bob",
        groups: &[],
        level,
    };
    assert_eq!(decide(&rules, &f, Some(&b)), Decision::Allow);
    let admins = vec!["admins".to_owned()];
    let c = Identity {
        username: "carol",
        groups: &admins,
        level,
    };
    assert_eq!(decide(&rules, &f, Some(&c)), Decision::Allow);
}

#[test]
fn two_factor_never_passes_as_one_factor() {
    let rules = AccessRules {
        rules: vec![rule(&[], vec![], Policy::TwoFactor)],
        default_policy: Policy::Deny,
    };
    let f = facts("h", "/");
    assert_eq!(decide(&rules, &f, None), Decision::Login);
    let one = Identity {
        username: "a",
        groups: &[],
        level: AuthLevel::OneFactor,
    };
    assert_eq!(decide(&rules, &f, Some(&one)), Decision::SecondFactor);
    let two = Identity {
        username: "a",
        groups: &[],
        level: AuthLevel::TwoFactor,
    };
    assert_eq!(decide(&rules, &f, Some(&two)), Decision::Allow);
}

#[test]
fn methods_and_networks_narrow_a_rule() {
    let mut r = rule(&[], vec![], Policy::Bypass);
    r.methods = vec!["GET".into()];
    r.networks = vec!["10.0.0.0/8".parse().unwrap()];
    let rules = AccessRules {
        rules: vec![r],
        default_policy: Policy::OneFactor,
    };
    let mut f = facts("h", "/");
    assert_eq!(decide(&rules, &f, None), Decision::Login);
    f.client_ip = "10.1.2.3".parse().unwrap();
    assert_eq!(decide(&rules, &f, None), Decision::Allow);
    f.method = "POST";
    assert_eq!(decide(&rules, &f, None), Decision::Login);
    // HEAD and OPTIONS are not special (docs/security.md#no-implicit-bypass).
    f.method = "OPTIONS";
    assert_eq!(decide(&rules, &f, None), Decision::Login);
}

#[test]
fn policy_names_parse() {
    assert_eq!(Policy::parse("two_factor"), Some(Policy::TwoFactor));
    assert_eq!(Policy::parse("TwoFactor"), None);
}

#[test]
fn case_folding_comes_from_the_rule_or_else_the_site() {
    let prefix = rule(
        &[],
        vec![PathMatcher::Prefix("/admin".into())],
        Policy::Deny,
    );
    let regex = rule(
        &[],
        vec![PathMatcher::regex("^/internal(/|$)").unwrap()],
        Policy::Deny,
    );
    let mut exact = rule(
        &[],
        vec![PathMatcher::Prefix("/Reports".into())],
        Policy::Deny,
    );
    exact.case_insensitive_paths = Some(false);
    let mut folds = rule(
        &[],
        vec![PathMatcher::Prefix("/private".into())],
        Policy::Deny,
    );
    folds.case_insensitive_paths = Some(true);
    let rules = AccessRules {
        rules: vec![prefix, regex, exact, folds],
        default_policy: Policy::Bypass,
    };
    let d = |path: &str, site: bool| decide_for_site(&rules, &facts("h", path), None, site);
    for path in ["/ADMIN/users", "/Admin", "/INTERNAL", "/Internal/x"] {
        assert_eq!(d(path, true), Decision::Forbidden, "{path}");
        assert_eq!(d(path, false), Decision::Allow, "{path}");
    }
    assert_eq!(d("/adminx", true), Decision::Allow);
    assert_eq!(d("/Reports", true), Decision::Forbidden);
    assert_eq!(d("/REPORTS", true), Decision::Allow);
    assert_eq!(d("/PRIVATE/x", false), Decision::Forbidden);
    // Unicode letters fold too (ASP.NET compares with the invariant culture).
    let uni = AccessRules {
        rules: vec![rule(
            &[],
            vec![PathMatcher::Prefix("/é".into())],
            Policy::Deny,
        )],
        default_policy: Policy::Bypass,
    };
    assert_eq!(
        decide_for_site(&uni, &facts("h", "/É/x"), None, true),
        Decision::Forbidden
    );
}
