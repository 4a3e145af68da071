//! Connection strings carry passwords and tokens. Everything `mig` prints
//! (plans, logs, errors) goes through [`scrub`], and URIs are only ever shown
//! through [`redact_uri`].

use std::sync::{OnceLock, RwLock};

/// URI query options whose values are secrets.
const SECRET_OPTIONS: &[&str] = &[
    "authmechanismproperties",
    "tlscertificatekeyfilepassword",
    "sslpemkeypassword",
    "password",
];

/// `mongodb://user:pass@host/?authMechanismProperties=...` →
/// `mongodb://user:****@host/?authMechanismProperties=****`.
pub fn redact_uri(uri: &str) -> String {
    let (scheme, rest) = match uri.split_once("://") {
        Some((s, r)) => (s, r),
        None => return "****".into(),
    };
    let (authority_and_path, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority_end = authority_and_path
        .find('/')
        .unwrap_or(authority_and_path.len());
    let (authority, path) = authority_and_path.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{user}:****@{hosts}")
            } else {
                format!("{user}@{hosts}")
            }
        }
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let options: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if SECRET_OPTIONS.contains(&k.to_ascii_lowercase().as_str()) => {
                    format!("{k}=****")
                }
                _ => kv.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&options.join("&"));
    }
    out
}

/// The secret parts of a URI: the password (raw and percent-decoded) and the
/// values of secret options.
fn secrets_of(uri: &str) -> Vec<String> {
    let mut out = Vec::new();
    let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or(uri);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        if let Some((_, password)) = userinfo.split_once(':') {
            out.push(password.to_string());
            out.push(percent_decode(password));
        }
    }
    if let Some((_, query)) = rest.split_once('?') {
        for kv in query.split('&') {
            if let Some((k, v)) = kv.split_once('=') {
                if SECRET_OPTIONS.contains(&k.to_ascii_lowercase().as_str()) {
                    out.push(v.to_string());
                    out.push(percent_decode(v));
                }
            }
        }
    }
    out.retain(|s| s.len() >= 3);
    out.sort();
    out.dedup();
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Registry {
    uris: Vec<String>,
    secrets: Vec<String>,
}

fn registry() -> &'static RwLock<Registry> {
    static R: OnceLock<RwLock<Registry>> = OnceLock::new();
    R.get_or_init(|| {
        RwLock::new(Registry {
            uris: Vec::new(),
            secrets: Vec::new(),
        })
    })
}

/// Remembers a URI so that [`scrub`] hides it wherever it turns up.
pub fn register(uri: &str) {
    let mut r = registry().write().unwrap_or_else(|e| e.into_inner());
    r.uris.push(uri.to_string());
    r.secrets.extend(secrets_of(uri));
}

/// Replaces every registered URI by its redacted form and every secret by `****`.
pub fn scrub(text: &str) -> String {
    let r = registry().read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for uri in &r.uris {
        if out.contains(uri.as_str()) {
            out = out.replace(uri.as_str(), &redact_uri(uri));
        }
    }
    for secret in &r.secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "****");
        }
    }
    out
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
