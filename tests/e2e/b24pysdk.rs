//! The official Bitrix24 Python SDK (`b24pysdk`, pinned in `tests/python/requirements.txt`)
//! as the client (issue 19): an integration written for Bitrix24 works against our endpoint by
//! changing only its webhook. The SDK talks HTTPS only, to `https://<domain>/rest/...`, so the
//! runtime serves with `--tls-cert/--tls-key`: a test CA and a certificate for 127.0.0.1 made
//! here, the CA handed to the client as `REQUESTS_CA_BUNDLE`. The script
//! (`tests/python/b24pysdk_client.py`) sets the app up through the JSON API (the test's own
//! HTTP client speaks no TLS), then calls through the SDK; `cargo xtask test` installs the
//! SDK into a venv under the target dir (`<target>/b24pysdk`).

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use serde_json::Value;

use crate::helpers::{ADMIN_EMAIL, PASSWORD, root, spawn_app_with_args};

/// The venv's python: `<target>/b24pysdk/bin/python`, next to the runtime the tests use.
fn sdk_python() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    // target/release/deps/e2e-HASH -> target/
    let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
    let python = target.join("b24pysdk/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `cargo xtask test`, which installs b24pysdk into it",
        python.display()
    );
    python
}

/// A CA, and a server certificate for 127.0.0.1 and localhost signed by it, written to `dir`:
/// (the CA's PEM, the certificate's PEM, its key's PEM) paths.
fn test_pki(dir: &std::path::Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.distinguished_name.push(DnType::CommonName, "CRM test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key")).expect("CA");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("leaf params");
    leaf.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().expect("leaf key");
    let cert = leaf.signed_by(&leaf_key, &*ca).expect("leaf");
    let paths = (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&paths.0, ca.pem()).expect("ca.pem");
    std::fs::write(&paths.1, cert.pem()).expect("cert.pem");
    std::fs::write(&paths.2, leaf_key.serialize_pem()).expect("key.pem");
    paths
}

#[test]
fn the_official_python_sdk_works_against_the_endpoint_over_https() {
    let python = sdk_python();
    let pki = tempfile::tempdir().expect("pki dir");
    let (ca, cert, key) = test_pki(pki.path());
    let app = spawn_app_with_args(
        tempfile::tempdir().expect("state dir"),
        &[
            OsStr::new("--tls-cert"),
            cert.as_os_str(),
            OsStr::new("--tls-key"),
            key.as_os_str(),
        ],
    );
    let domain = app
        .base
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("served over https: {}", app.base));
    let output = Command::new(python)
        .arg(root().join("tests/python/b24pysdk_client.py"))
        .env("REQUESTS_CA_BUNDLE", &ca)
        .env("CRM_DOMAIN", domain)
        .env("CRM_SETUP_EMAIL", ADMIN_EMAIL)
        .env("CRM_SETUP_PASSWORD", PASSWORD)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the SDK script failed:\n{stderr}\n{stdout}");
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(seen["profile"]["ADMIN"], true, "{seen}");
    assert_eq!(seen["batch_keys"], serde_json::json!(["me", "profile"]), "{seen}");
    assert_eq!(
        seen["errors"],
        serde_json::json!({
            "unknown_method": "BitrixAPINotFound",
            "bad_token": "BitrixOAuthNoAuthFound",
            "no_scope": "BitrixAPIInsufficientScope",
        }),
        "{seen}"
    );
    // The deal the SDK made is what the database holds.
    let title: String = app
        .db()
        .query_row(
            "SELECT title FROM deals WHERE id = ?",
            [seen["crm"]["deal_id"].as_i64().expect("deal id")],
            |r| r.get(0),
        )
        .expect("the SDK's deal is stored");
    assert_eq!(title, "SDK deal");
}
