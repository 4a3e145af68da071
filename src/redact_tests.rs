use super::*;

#[test]
fn passwords_are_hidden() {
    assert_eq!(
        redact_uri("mongodb://app:s3cr%40t@db1:27017,db2/admin?replicaSet=rs0"),
        "mongodb://app:****@db1:27017,db2/admin?replicaSet=rs0"
    );
    assert_eq!(
        redact_uri("mongodb+srv://app@cluster.example.net"),
        "mongodb+srv://app@cluster.example.net"
    );
    assert_eq!(
        redact_uri("mongodb://localhost:27017"),
        "mongodb://localhost:27017"
    );
}

#[test]
fn secret_options_are_hidden() {
    assert_eq!(
        redact_uri(
            "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:abc"
        ),
        "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=****"
    );
}

#[test]
fn scrub_hides_registered_secrets_anywhere() {
    register("mongodb://scrubuser:hunter2%21x@h:1/?tlsCertificateKeyFilePassword=kp4ss");
    let text = "failed: mongodb://scrubuser:hunter2%21x@h:1/?tlsCertificateKeyFilePassword=kp4ss; pw hunter2!x; key kp4ss";
    let clean = scrub(text);
    assert!(!clean.contains("hunter2"), "{clean}");
    assert!(!clean.contains("kp4ss"), "{clean}");
    assert!(clean.contains("scrubuser:****@h:1"), "{clean}");
}
