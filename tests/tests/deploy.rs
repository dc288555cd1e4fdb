//! The Kubernetes manifests (deploy/k8s/) against the app they deploy (spin.toml): every
//! YAML document is parsed and checked for what SpinKube and the app need of it. No cluster
//! is involved; what only a cluster can show is listed in deploy/sks/README.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// The only outbound address an API component may have (see docs/OPERATIONS.md).
const PG_ALLOWED_HOST: &str = "postgres://{{ db_host }}:{{ db_port }}";
/// The components that talk to PostgreSQL.
const API_COMPONENTS: [&str; 3] = ["order-fn", "list-fn", "feed-fn"];
/// The runtime class that runtime-class-manager creates for containerd-shim-spin.
const SPIN_RUNTIME_CLASS: &str = "wasmtime-spin-v2";
/// Where the spin-operator mounts the executor's caCertSecret, and where Spin looks.
const CA_BUNDLE_PATH: &str = "/etc/ssl/certs/ca-certificates.crt";
const CA_BUNDLE_KEY: &str = "ca-certificates.crt";
const APP_NAMESPACE: &str = "drink-orders";

// ---------------------------------------------------------------------------------------------
// Loading

fn root() -> PathBuf {
    e2e::workspace_root()
}

fn k8s_dir() -> PathBuf {
    root().join("deploy/k8s")
}

/// One YAML document of a manifest file.
struct Doc {
    file: String,
    value: Value,
}

impl Doc {
    fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }

    fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or_default()
    }
}

fn yaml_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(k8s_dir())
        .expect("deploy/k8s exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in deploy/k8s");
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("file name")
        .to_string()
}

/// The documents of a multi-document YAML text (`origin` names it in messages).
fn yaml_documents(text: &str, origin: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let yaml = serde_norway::Value::deserialize(document)
            .unwrap_or_else(|e| panic!("{origin} is not valid YAML: {e}"));
        if yaml.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        out.push(
            serde_json::to_value(&yaml)
                .unwrap_or_else(|e| panic!("{origin}: not representable as JSON: {e}")),
        );
    }
    out
}

/// Every document of every manifest file.
fn docs() -> Vec<Doc> {
    let mut out = Vec::new();
    for path in yaml_files() {
        let text = std::fs::read_to_string(&path).expect("read manifest");
        for value in yaml_documents(&text, &path.display().to_string()) {
            out.push(Doc {
                file: file_name(&path),
                value,
            });
        }
    }
    out
}

fn all_of<'a>(docs: &'a [Doc], kind: &str) -> Vec<&'a Doc> {
    docs.iter().filter(|d| d.kind() == kind).collect()
}

fn only<'a>(docs: &'a [Doc], kind: &str) -> &'a Doc {
    let found = all_of(docs, kind);
    assert_eq!(found.len(), 1, "expected exactly one {kind} in deploy/k8s");
    found[0]
}

fn spin_app(docs: &[Doc]) -> &Value {
    let app = only(docs, "SpinApp");
    assert_eq!(
        app.value["apiVersion"], "core.spinkube.dev/v1alpha1",
        "SpinApp API version"
    );
    &app.value
}

fn job(docs: &[Doc]) -> &Value {
    let job = only(docs, "Job");
    assert_eq!(job.value["apiVersion"], "batch/v1");
    &job.value
}

fn job_container(docs: &[Doc]) -> &Value {
    let containers = job(docs)["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("the Job has containers");
    assert_eq!(containers.len(), 1, "the migration Job runs one container");
    &containers[0]
}

fn example_secrets(docs: &[Doc]) -> Vec<&Doc> {
    all_of(docs, "Secret")
}

/// The string data of the example Secret `name`.
fn secret_data<'a>(docs: &'a [Doc], name: &str) -> &'a serde_json::Map<String, Value> {
    let secret = example_secrets(docs)
        .into_iter()
        .find(|s| s.name() == name)
        .unwrap_or_else(|| panic!("no example Secret {name} in deploy/k8s"));
    secret.value["stringData"]
        .as_object()
        .unwrap_or_else(|| panic!("Secret {name} has no stringData"))
}

fn spin_toml(path: &str) -> toml::Table {
    let text = std::fs::read_to_string(root().join(path)).expect("read the manifest");
    text.parse::<toml::Table>().expect("valid TOML")
}

/// `[variables]` of a Spin manifest.
fn spin_variables(manifest: &toml::Table) -> BTreeMap<String, toml::Table> {
    manifest
        .get("variables")
        .and_then(|v| v.as_table())
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.clone(), v.as_table().cloned().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn flag(variable: &toml::Table, key: &str) -> bool {
    variable.get(key).and_then(|v| v.as_bool()).unwrap_or(false)
}

fn components(manifest: &toml::Table) -> &toml::Table {
    manifest
        .get("component")
        .and_then(|c| c.as_table())
        .expect("spin.toml has components")
}

/// How a variable is bound: a literal or a reference.
#[derive(Debug)]
struct Binding {
    name: String,
    literal: Option<String>,
    /// (secret name, key) of a secretKeyRef.
    secret_ref: Option<(String, String)>,
    /// Any valueFrom at all.
    has_value_from: bool,
}

fn binding(name: String, item: &Value) -> Binding {
    let secret = &item["valueFrom"]["secretKeyRef"];
    Binding {
        name,
        literal: item["value"].as_str().map(str::to_string),
        secret_ref: secret["name"].as_str().map(|n| {
            (
                n.to_string(),
                secret["key"].as_str().unwrap_or_default().to_string(),
            )
        }),
        has_value_from: item["valueFrom"].is_object(),
    }
}

/// The Spin variables the SpinApp binds.
fn spin_app_bindings(docs: &[Doc]) -> Vec<Binding> {
    spin_app(docs)["spec"]["variables"]
        .as_array()
        .expect("the SpinApp binds variables")
        .iter()
        .map(|v| binding(v["name"].as_str().expect("variable name").to_string(), v))
        .collect()
}

/// The Spin variables the migration Job sets, from its `SPIN_VARIABLE_*` environment.
fn job_bindings(docs: &[Doc]) -> Vec<Binding> {
    job_container(docs)["env"]
        .as_array()
        .expect("the Job sets environment variables")
        .iter()
        .filter_map(|e| {
            let env = e["name"].as_str()?;
            let name = env.strip_prefix("SPIN_VARIABLE_")?;
            Some(binding(name.to_ascii_lowercase(), e))
        })
        .collect()
}

/// The component that serves `path`, by spin.toml's routes (exact beats wildcard, longest
/// wildcard prefix wins), as Spin routes.
fn component_for_path(manifest: &toml::Table, path: &str) -> Option<String> {
    let triggers = manifest["trigger"]["http"]
        .as_array()
        .expect("spin.toml has HTTP triggers");
    let mut best: Option<(usize, bool, String)> = None;
    for trigger in triggers {
        let route = trigger["route"].as_str().expect("route");
        let component = trigger["component"]
            .as_str()
            .expect("component")
            .to_string();
        let (matches, len, exact) = match route.strip_suffix("/...") {
            Some(prefix) => (
                path == prefix || path.starts_with(&format!("{prefix}/")),
                prefix.len(),
                false,
            ),
            None => (path == route, route.len(), true),
        };
        if !matches {
            continue;
        }
        let better = match &best {
            None => true,
            Some((best_len, best_exact, _)) => (exact, len) > (*best_exact, *best_len),
        };
        if better {
            best = Some((len, exact, component));
        }
    }
    best.map(|(_, _, c)| c)
}

// ---------------------------------------------------------------------------------------------
// The manifests as a whole

#[test]
fn every_manifest_parses_and_says_what_it_is() {
    let docs = docs();
    for doc in &docs {
        assert!(
            !doc.kind().is_empty() && doc.value["apiVersion"].is_string(),
            "{}: a document without kind/apiVersion",
            doc.file
        );
        if doc.kind() != "Kustomization" {
            assert!(
                !doc.name().is_empty(),
                "{}: a {} without a name",
                doc.file,
                doc.kind()
            );
        }
    }
    for kind in [
        "Namespace",
        "SpinApp",
        "SpinAppExecutor",
        "HorizontalPodAutoscaler",
        "Job",
        "Ingress",
        "Kustomization",
    ] {
        only(&docs, kind);
    }
    assert!(
        example_secrets(&docs).len() >= 2,
        "example Secrets for the database and its CA"
    );
}

#[test]
fn the_kustomization_applies_every_manifest_but_never_the_example_secrets() {
    let docs = docs();
    let kustomization = &only(&docs, "Kustomization").value;
    assert_eq!(kustomization["namespace"], APP_NAMESPACE);
    let listed: BTreeSet<String> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().expect("a file name").to_string())
        .collect();
    for file in &listed {
        assert!(
            k8s_dir().join(file).is_file(),
            "kustomization lists a missing {file}"
        );
    }
    let mut expected = BTreeSet::new();
    for path in yaml_files() {
        let name = file_name(&path);
        if name == "kustomization.yaml" {
            continue;
        }
        let holds_secret = docs.iter().any(|d| d.file == name && d.kind() == "Secret");
        if holds_secret {
            assert!(
                name.ends_with(".example.yaml"),
                "{name}: Secrets in this repository are examples, named *.example.yaml"
            );
            assert!(
                !listed.contains(&name),
                "{name} must not be applied by kustomize"
            );
        } else {
            expected.insert(name);
        }
    }
    assert_eq!(listed, expected, "kustomization.yaml resources");
}

/// The kinds of `kustomize build deploy/k8s` in output order, from the first renderer
/// installed (`kustomize`, or kubectl's built-in one); `None` when there is none.
fn rendered_kinds() -> Option<(String, Vec<String>)> {
    let dir = k8s_dir();
    for (program, args) in [("kustomize", vec!["build"]), ("kubectl", vec!["kustomize"])] {
        let Ok(out) = std::process::Command::new(program)
            .args(&args)
            .arg(&dir)
            .output()
        else {
            continue; // not installed
        };
        let renderer = format!("{program} {}", args.join(" "));
        assert!(
            out.status.success(),
            "{renderer} {} failed (kustomize >= 5.0 / kubectl >= 1.27 needed for \
             sortOptions): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8 output");
        let kinds = yaml_documents(&text, &renderer)
            .iter()
            .map(|d| d["kind"].as_str().unwrap_or_default().to_string())
            .collect();
        return Some((renderer, kinds));
    }
    None
}

#[test]
fn the_kustomization_applies_the_executor_before_the_spinapp_in_the_order_it_lists() {
    let docs = docs();
    let kustomization = &only(&docs, "Kustomization").value;
    // kustomize's default order sorts by kind and puts SpinApp before SpinAppExecutor;
    // spin-operator's webhook refuses a SpinApp whose executor does not exist yet.
    assert_eq!(
        kustomization["sortOptions"]["order"], "fifo",
        "kustomization.yaml must keep the order of its resources (sortOptions.order: fifo)"
    );
    let listed: Vec<&str> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().expect("a file name"))
        .collect();
    let position = |kind: &str| {
        listed
            .iter()
            .position(|file| docs.iter().any(|d| d.file == *file && d.kind() == kind))
            .unwrap_or_else(|| panic!("no listed resource holds the {kind}"))
    };
    assert_eq!(position("Namespace"), 0, "the namespace comes first");
    assert!(
        position("SpinAppExecutor") < position("SpinApp"),
        "the executor must be listed before the SpinApp: {listed:?}"
    );
    match rendered_kinds() {
        Some((renderer, kinds)) => {
            let at = |kind: &str| {
                kinds
                    .iter()
                    .position(|k| k == kind)
                    .unwrap_or_else(|| panic!("{renderer} rendered no {kind}: {kinds:?}"))
            };
            assert_eq!(at("Namespace"), 0, "{renderer}: {kinds:?}");
            assert!(
                at("SpinAppExecutor") < at("SpinApp"),
                "{renderer} puts the SpinApp before its executor: {kinds:?}"
            );
        }
        None => eprintln!(
            "\n!!!! no kustomize or kubectl installed: the order was checked in \
             kustomization.yaml only, not as rendered !!!!\n"
        ),
    }
}

#[test]
fn every_namespaced_resource_lives_in_the_app_namespace() {
    let docs = docs();
    assert_eq!(only(&docs, "Namespace").name(), APP_NAMESPACE);
    for doc in &docs {
        if matches!(doc.kind(), "Namespace" | "Kustomization") {
            continue;
        }
        assert_eq!(
            doc.value["metadata"]["namespace"],
            APP_NAMESPACE,
            "{}: {} {} (the operator looks the executor up in the SpinApp's namespace)",
            doc.file,
            doc.kind(),
            doc.name()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SpinApp and executor

#[test]
fn the_spinapp_autoscales_the_app_image_with_cpu_requests_and_limits() {
    let docs = docs();
    let app = spin_app(&docs);
    let spec = &app["spec"];
    let image = spec["image"].as_str().expect("spec.image");
    assert!(
        image.starts_with("ghcr.io/") && image.contains("/drink-orders:"),
        "{image}"
    );
    assert_eq!(spec["enableAutoscaling"], true);
    assert!(
        spec["replicas"].is_null(),
        "the operator refuses spec.replicas together with enableAutoscaling"
    );
    for (kind, resources) in [
        ("requests", &spec["resources"]["requests"]),
        ("limits", &spec["resources"]["limits"]),
    ] {
        for resource in ["cpu", "memory"] {
            assert!(
                resources[resource].is_string(),
                "spec.resources.{kind}.{resource} (the HPA measures CPU against requests)"
            );
        }
    }
}

#[test]
fn the_executor_the_spinapp_names_runs_spin_pods_trusting_the_database_ca() {
    let docs = docs();
    let executor_name = spin_app(&docs)["spec"]["executor"]
        .as_str()
        .expect("spec.executor");
    assert_eq!(executor_name, "containerd-shim-spin");
    let executor = only(&docs, "SpinAppExecutor");
    assert_eq!(executor.value["apiVersion"], "core.spinkube.dev/v1alpha1");
    assert_eq!(executor.name(), executor_name, "executor name");
    let spec = &executor.value["spec"];
    assert_eq!(spec["createDeployment"], true);
    let config = &spec["deploymentConfig"];
    assert_eq!(config["runtimeClassName"], SPIN_RUNTIME_CLASS);
    let ca_secret = config["caCertSecret"]
        .as_str()
        .expect("deploymentConfig.caCertSecret (the Exoscale DBaaS CA)");
    let data = secret_data(&docs, ca_secret);
    assert!(
        data.get(CA_BUNDLE_KEY)
            .and_then(|v| v.as_str())
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE")),
        "the CA Secret holds a PEM bundle under {CA_BUNDLE_KEY} (the key the operator mounts)"
    );
}

// ---------------------------------------------------------------------------------------------
// Variables against spin.toml

#[test]
fn every_variable_the_spinapp_and_the_job_set_is_declared_in_spin_toml() {
    let docs = docs();
    let declared = spin_variables(&spin_toml("spin.toml"));
    for (who, bindings) in [
        ("SpinApp", spin_app_bindings(&docs)),
        ("Job", job_bindings(&docs)),
    ] {
        let mut seen = BTreeSet::new();
        for b in &bindings {
            assert!(
                declared.contains_key(&b.name),
                "{who} sets `{}`, which spin.toml's [variables] does not declare",
                b.name
            );
            assert!(
                seen.insert(b.name.clone()),
                "{who} binds `{}` twice",
                b.name
            );
        }
    }
    // The Job's environment holds nothing but Spin variables.
    for e in job_container(&docs)["env"].as_array().expect("env") {
        let name = e["name"].as_str().unwrap_or_default();
        assert!(
            name.starts_with("SPIN_VARIABLE_"),
            "unexpected Job env {name}"
        );
        assert_eq!(name, name.to_ascii_uppercase(), "{name}");
    }
}

#[test]
fn every_required_spin_toml_variable_is_provided_by_the_spinapp() {
    let docs = docs();
    let provided: BTreeSet<String> = spin_app_bindings(&docs)
        .into_iter()
        .map(|b| b.name)
        .collect();
    let declared = spin_variables(&spin_toml("spin.toml"));
    let required: Vec<&String> = declared
        .iter()
        .filter(|(_, v)| flag(v, "required"))
        .map(|(k, _)| k)
        .collect();
    assert!(!required.is_empty(), "spin.toml requires db_url");
    for name in required {
        assert!(
            provided.contains(name),
            "the SpinApp does not provide required `{name}`"
        );
    }
    // The migration needs the connection string and the outbound host too.
    let job: BTreeSet<String> = job_bindings(&docs).into_iter().map(|b| b.name).collect();
    for name in ["db_url", "db_host", "db_port"] {
        assert!(
            job.contains(name),
            "the migration Job does not set `{name}`"
        );
    }
}

#[test]
fn secret_variables_come_from_secret_key_refs_and_never_as_literal_values() {
    let docs = docs();
    let declared = spin_variables(&spin_toml("spin.toml"));
    let secrets: BTreeSet<&String> = declared
        .iter()
        .filter(|(_, v)| flag(v, "secret"))
        .map(|(k, _)| k)
        .collect();
    assert!(
        secrets.contains(&"db_url".to_string()) && secrets.contains(&"bar_token".to_string()),
        "spin.toml marks db_url and bar_token secret = true: {secrets:?}"
    );
    for (who, bindings) in [
        ("SpinApp", spin_app_bindings(&docs)),
        ("Job", job_bindings(&docs)),
    ] {
        for b in &bindings {
            assert!(
                b.literal.is_some() != b.has_value_from,
                "{who} `{}`: exactly one of value/valueFrom",
                b.name
            );
            if secrets.contains(&b.name) {
                assert!(
                    b.literal.is_none() && b.secret_ref.is_some(),
                    "{who} `{}` is secret in spin.toml: it must come from a secretKeyRef",
                    b.name
                );
            }
        }
    }
}

#[test]
fn every_secret_key_ref_names_a_key_of_an_example_secret() {
    let docs = docs();
    for (who, bindings) in [
        ("SpinApp", spin_app_bindings(&docs)),
        ("Job", job_bindings(&docs)),
    ] {
        for b in &bindings {
            if let Some((secret, key)) = &b.secret_ref {
                assert!(
                    secret_data(&docs, secret).contains_key(key),
                    "{who} `{}` refers to {secret}/{key}, which the example Secret lacks",
                    b.name
                );
            }
        }
    }
}

#[test]
fn the_example_database_secret_is_a_placeholder_with_a_tls_url_matching_host_and_port() {
    let docs = docs();
    let data = secret_data(&docs, "drink-orders-db");
    let get = |key: &str| {
        data.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("drink-orders-db has no {key}"))
            .to_string()
    };
    // db_*: the app's connection (direct or pooled); migrate_db_*: the Job's (direct).
    for prefix in ["", "migrate_"] {
        let url = get(&format!("{prefix}db_url"));
        assert!(
            url.contains("CHANGE-ME"),
            "obvious placeholder credentials: {url}"
        );
        assert!(
            url.contains("sslmode=require") || url.contains("sslmode=verify-full"),
            "the DBaaS is reached over verified TLS: {url}"
        );
        let (host, port) = devhost::dburl::host_and_port(&url);
        assert_eq!(
            get(&format!("{prefix}db_host")),
            host,
            "{prefix}db_host must be {prefix}db_url's host"
        );
        assert_eq!(
            get(&format!("{prefix}db_port")),
            port.to_string(),
            "{prefix}db_port must be {prefix}db_url's port"
        );
    }
    assert!(get("bar_token").contains("CHANGE-ME"));
    for secret in example_secrets(&docs) {
        assert!(
            secret.file.ends_with(".example.yaml"),
            "{} holds a Secret",
            secret.file
        );
        for (key, value) in secret.value["stringData"].as_object().into_iter().flatten() {
            if !key.ends_with("db_port") && !key.ends_with("db_host") {
                assert!(
                    value.as_str().is_some_and(|v| v.contains("CHANGE-ME")),
                    "{} {key} must be an obvious placeholder",
                    secret.name()
                );
            }
        }
        assert!(
            secret.value["data"].is_null(),
            "{}: placeholders go in stringData, readable",
            secret.name()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Scaling, probes, migration, ingress

#[test]
fn the_hpa_scales_the_deployment_named_after_the_spinapp_on_cpu() {
    let docs = docs();
    let app_name = only(&docs, "SpinApp").name().to_string();
    let hpa = only(&docs, "HorizontalPodAutoscaler");
    assert_eq!(hpa.value["apiVersion"], "autoscaling/v2");
    let spec = &hpa.value["spec"];
    let target = &spec["scaleTargetRef"];
    assert_eq!(target["kind"], "Deployment");
    assert_eq!(target["apiVersion"], "apps/v1");
    assert_eq!(
        target["name"].as_str(),
        Some(app_name.as_str()),
        "the operator names the Deployment after the SpinApp"
    );
    let min = spec["minReplicas"].as_u64().expect("minReplicas");
    let max = spec["maxReplicas"].as_u64().expect("maxReplicas");
    assert!(1 <= min && min <= max, "min {min}, max {max}");
    let cpu = spec["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["type"] == "Resource" && m["resource"]["name"] == "cpu")
        .expect("a CPU metric");
    assert_eq!(cpu["resource"]["target"]["type"], "Utilization");
    let utilisation = cpu["resource"]["target"]["averageUtilization"]
        .as_u64()
        .expect("averageUtilization");
    assert!((1..=100).contains(&utilisation));
}

#[test]
fn readiness_checks_the_database_and_liveness_never_touches_the_api() {
    let docs = docs();
    let checks = &spin_app(&docs)["spec"]["checks"];
    let readiness = checks["readiness"]["httpGet"]["path"]
        .as_str()
        .expect("readiness path");
    let liveness = checks["liveness"]["httpGet"]["path"]
        .as_str()
        .expect("liveness path");
    assert_eq!(readiness, "/api/health");
    assert!(
        !liveness.starts_with("/api/") && liveness != "/api",
        "liveness must not depend on the database: {liveness}"
    );
    let manifest = spin_toml("spin.toml");
    assert_eq!(
        component_for_path(&manifest, readiness).as_deref(),
        Some("list-fn"),
        "/api/health is list-fn's"
    );
}

/// Spin answers `/.well-known/spin/health` itself, before routing (spinframework/spin v3.6.3
/// crates/trigger-http/src/server.rs; the host does the same, pinned in tests/tests/edges.rs):
/// liveness then says "this runtime answers HTTP" and depends on no component.
#[test]
fn liveness_is_the_runtimes_own_health_endpoint() {
    let docs = docs();
    let liveness = spin_app(&docs)["spec"]["checks"]["liveness"]["httpGet"]["path"]
        .as_str()
        .expect("liveness path")
        .to_string();
    assert_eq!(liveness, "/.well-known/spin/health");
}

#[test]
fn the_migration_job_runs_the_migrate_image_of_the_same_release_on_the_spin_runtime_class() {
    let docs = docs();
    let job = job(&docs);
    let spec = &job["spec"];
    assert!(spec["backoffLimit"].as_u64().is_some(), "backoffLimit");
    assert!(
        spec["ttlSecondsAfterFinished"].as_u64().is_some(),
        "ttlSecondsAfterFinished"
    );
    let pod = &spec["template"]["spec"];
    let executor = &only(&docs, "SpinAppExecutor").value;
    assert_eq!(
        pod["runtimeClassName"], executor["spec"]["deploymentConfig"]["runtimeClassName"],
        "the Job runs on the shim's runtime class, like the app"
    );
    assert!(
        matches!(pod["restartPolicy"].as_str(), Some("Never" | "OnFailure")),
        "a Job's pods must not restart forever"
    );
    let container = job_container(&docs);
    let image = container["image"].as_str().expect("image");
    let app_image = spin_app(&docs)["spec"]["image"]
        .as_str()
        .expect("app image");
    let (app_repo, app_tag) = app_image.rsplit_once(':').expect("app image tag");
    assert_eq!(
        image,
        format!("{app_repo}-migrate:{app_tag}"),
        "the migration image is the app's, suffixed -migrate, same release"
    );
    // The CA bundle is mounted as the operator mounts the executor's caCertSecret.
    let ca_secret = executor["spec"]["deploymentConfig"]["caCertSecret"]
        .as_str()
        .expect("caCertSecret");
    let mount = container["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .find(|m| m["mountPath"] == CA_BUNDLE_PATH)
        .expect("the Job mounts the CA bundle over the system bundle");
    assert_eq!(mount["subPath"], CA_BUNDLE_KEY);
    let volume = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    assert_eq!(volume["secret"]["secretName"].as_str(), Some(ca_secret));
}

#[test]
fn the_migration_job_connects_directly_never_through_the_apps_pool() {
    // It holds a session advisory lock (migrate/src/main.rs): a transaction-mode pooler
    // would hand that server connection to other clients between statements.
    let docs = docs();
    let app: BTreeMap<String, (String, String)> = spin_app_bindings(&docs)
        .into_iter()
        .filter_map(|b| Some((b.name, b.secret_ref?)))
        .collect();
    let job: BTreeMap<String, (String, String)> = job_bindings(&docs)
        .into_iter()
        .filter_map(|b| Some((b.name, b.secret_ref?)))
        .collect();
    for name in ["db_url", "db_host", "db_port"] {
        let (_, job_key) = job
            .get(name)
            .unwrap_or_else(|| panic!("the Job takes {name} from the Secret"));
        assert_eq!(
            job_key,
            &format!("migrate_{name}"),
            "the Job's {name} is the direct connection's"
        );
        assert_ne!(
            app.get(name).map(|(_, key)| key),
            Some(job_key),
            "the app's {name} may be the pool's: the Job must not share it"
        );
    }
    let data = secret_data(&docs, "drink-orders-db");
    let direct = data["migrate_db_url"].as_str().expect("migrate_db_url");
    assert!(direct.contains("connect_timeout="), "{direct}");
    let text = read("deploy/k8s/migrate-job.yaml");
    assert!(
        text.contains("DIRECTLY") && text.contains("advisory lock"),
        "migrate-job.yaml says why it connects directly"
    );
}

#[test]
fn the_migration_job_matches_migrate_spin_toml_once_it_exists() {
    let path = "migrate/spin.toml";
    if !root().join(path).is_file() {
        eprintln!("{path} does not exist yet: nothing to compare the Job with");
        return;
    }
    let docs = docs();
    let manifest = spin_toml(path);
    let commands = manifest
        .get("trigger")
        .and_then(|t| t.get("command"))
        .and_then(|c| c.as_array())
        .expect("migrate/spin.toml has a [[trigger.command]]");
    assert!(
        commands
            .iter()
            .any(|c| c.get("component").and_then(|v| v.as_str()) == Some("migrate")),
        "the command trigger runs component `migrate`"
    );
    for (name, component) in components(&manifest) {
        let hosts: Vec<&str> = component
            .get("allowed_outbound_hosts")
            .and_then(|h| h.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            hosts,
            [PG_ALLOWED_HOST],
            "{path}: {name}'s allowed_outbound_hosts"
        );
    }
    let declared = spin_variables(&manifest);
    let bindings = job_bindings(&docs);
    let set: BTreeSet<&str> = bindings.iter().map(|b| b.name.as_str()).collect();
    for b in &bindings {
        assert!(
            declared.contains_key(&b.name),
            "the Job sets `{}`, undeclared in {path}",
            b.name
        );
        if declared.get(&b.name).is_some_and(|v| flag(v, "secret")) {
            assert!(b.secret_ref.is_some(), "`{}` is secret in {path}", b.name);
        }
    }
    for (name, v) in &declared {
        if flag(v, "required") {
            assert!(
                set.contains(name.as_str()),
                "the Job does not set required `{name}`"
            );
        }
    }
}

#[test]
fn the_ingress_sends_every_path_to_the_spinapp_service_on_port_80() {
    let docs = docs();
    let app_name = only(&docs, "SpinApp").name().to_string();
    let ingress = only(&docs, "Ingress");
    assert_eq!(ingress.value["apiVersion"], "networking.k8s.io/v1");
    let spec = &ingress.value["spec"];
    assert_eq!(spec["ingressClassName"], "nginx");
    let rules = spec["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for rule in rules {
        let paths = rule["http"]["paths"].as_array().expect("paths");
        let root_path = paths
            .iter()
            .find(|p| p["path"] == "/" && p["pathType"] == "Prefix")
            .expect("a Prefix rule for / (Spin routes the paths itself)");
        let service = &root_path["backend"]["service"];
        assert_eq!(
            service["name"].as_str(),
            Some(app_name.as_str()),
            "the operator's Service has the SpinApp's name"
        );
        assert_eq!(service["port"]["number"], 80, "the operator's Service port");
    }
}

// ---------------------------------------------------------------------------------------------
// spin.toml: least privilege

#[test]
fn only_the_api_components_may_reach_postgres_and_only_order_fn_the_push_services() {
    let manifest = spin_toml("spin.toml");
    for (name, component) in components(&manifest) {
        let hosts: Vec<&str> = component
            .get("allowed_outbound_hosts")
            .and_then(|h| h.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if name == "order-fn" {
            // And the browsers' push services, exactly (Web Push after a move to `ready`).
            let mut expected = vec![PG_ALLOWED_HOST.to_string()];
            expected.extend(
                drinks_core::push::PUSH_SERVICES
                    .iter()
                    .map(|host| format!("https://{host}")),
            );
            assert_eq!(hosts, expected, "{name}'s allowed_outbound_hosts");
        } else if API_COMPONENTS.contains(&name.as_str()) {
            assert_eq!(hosts, [PG_ALLOWED_HOST], "{name}'s allowed_outbound_hosts");
        } else {
            assert!(
                hosts.is_empty(),
                "{name} must not have outbound access: {hosts:?}"
            );
        }
    }
    for name in API_COMPONENTS.iter().chain(["fileserver"].iter()) {
        assert!(
            components(&manifest).contains_key(*name),
            "component {name}"
        );
    }
}

#[test]
fn component_variables_only_refer_to_declared_application_variables() {
    let manifest = spin_toml("spin.toml");
    let declared = spin_variables(&manifest);
    let mut templates: Vec<(String, String)> = Vec::new();
    for (name, component) in components(&manifest) {
        for (key, value) in component
            .get("variables")
            .and_then(|v| v.as_table())
            .into_iter()
            .flatten()
        {
            templates.push((
                format!("{name}.variables.{key}"),
                value.as_str().unwrap_or_default().to_string(),
            ));
        }
        for host in component
            .get("allowed_outbound_hosts")
            .and_then(|h| h.as_array())
            .into_iter()
            .flatten()
        {
            templates.push((
                format!("{name}.allowed_outbound_hosts"),
                host.as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    for (place, template) in templates {
        let mut rest = template.as_str();
        while let Some(start) = rest.find("{{") {
            let end = rest[start..].find("}}").expect("closed template") + start;
            let variable = rest[start + 2..end].trim();
            assert!(
                declared.contains_key(variable),
                "{place} refers to undeclared variable `{variable}`"
            );
            rest = &rest[end + 2..];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The cluster and the database around the manifests (deploy/sks/, the guide)
fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

#[test]
fn the_shim_uses_a_cgroup_driver_so_pod_metrics_reach_the_hpa() {
    let path = "deploy/sks/shim-spin.yaml";
    let docs = yaml_documents(&read(path), path);
    let shim = docs
        .iter()
        .find(|d| d["kind"] == "Shim")
        .expect("a runtime-class-manager Shim");
    assert_eq!(shim["apiVersion"], "runtime.spinkube.dev/v1alpha1");
    let spec = &shim["spec"];
    assert_eq!(
        spec["runtimeClass"]["name"], SPIN_RUNTIME_CLASS,
        "the runtime class the executor and the Job use"
    );
    // containerd-shim-spin (runwasi) defaults to cgroupfs; with a systemd kubelet the
    // pods' usage never reaches metrics-server and the HPA cannot scale. The Shim's
    // containerdRuntimeOptions is a map of strings: a YAML boolean would be refused.
    let systemd = &spec["containerdRuntimeOptions"]["SystemdCgroup"];
    assert!(
        systemd == "true" || systemd == "false",
        "{path}: spec.containerdRuntimeOptions.SystemdCgroup must be the string \"true\" or \
         \"false\", matching the kubelet's cgroup driver; found {systemd}"
    );
    let guide = read("deploy/sks/README.md");
    assert!(
        guide.contains("cgroupDriver"),
        "the guide says how to read the nodes' cgroup driver"
    );
}

/// Every `postgres://` URL written out in `text`.
fn postgres_urls(text: &str) -> Vec<String> {
    text.match_indices("postgres://")
        .map(|(at, _)| {
            text[at..]
                .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ')' | '|'))
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn every_database_url_for_the_dbaas_gives_up_connecting_after_a_few_seconds() {
    // Spin's pool waits as long as a connection attempt takes, and a DBaaS IP filter drops
    // packets: without connect_timeout a request hangs for the kernel's SYN retries (~2 min).
    let docs = docs();
    let example = secret_data(&docs, "drink-orders-db")["db_url"]
        .as_str()
        .expect("db_url")
        .to_string();
    let config: tokio_postgres::Config = example
        .parse()
        .unwrap_or_else(|e| panic!("the example db_url parses as Spin parses it: {e}"));
    let timeout = config
        .get_connect_timeout()
        .unwrap_or_else(|| panic!("the example db_url sets connect_timeout: {example}"));
    assert!(
        (Duration::from_secs(1)..=Duration::from_secs(30)).contains(timeout),
        "connect_timeout {timeout:?}"
    );
    for path in [
        "deploy/k8s/secret-db.example.yaml",
        "deploy/sks/README.md",
        "docs/OPERATIONS.md",
    ] {
        let urls: Vec<String> = postgres_urls(&read(path))
            .into_iter()
            .filter(|u| u.contains("sslmode=require") || u.contains("sslmode=verify-full"))
            .collect();
        assert!(!urls.is_empty(), "{path} shows a DBaaS URL");
        for url in urls {
            assert!(
                url.contains("connect_timeout="),
                "{path}: {url} needs connect_timeout"
            );
        }
    }
}

#[tokio::test]
async fn a_connection_attempt_the_network_drops_fails_the_request_after_connect_timeout() {
    // A DBaaS IP filter drops the SYN. Locally: a listener whose accept queue is full (the
    // kernel then drops new SYNs), so a connection attempt hangs as it would there.
    let docs = docs();
    let example = secret_data(&docs, "drink-orders-db")["db_url"]
        .as_str()
        .expect("db_url")
        .to_string();
    let config: tokio_postgres::Config = example.parse().expect("the example db_url parses");
    let timeout = *config.get_connect_timeout().expect("connect_timeout");
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    listener
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind");
    listener
        .listen(1)
        .expect("listen with an accept queue of 1");
    let address = listener
        .local_addr()
        .expect("address")
        .as_socket()
        .expect("an IP address");
    let port = address.port();
    let mut queued = Vec::new();
    loop {
        match std::net::TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(e) => panic!("filling the accept queue: {e}"),
        }
        assert!(queued.len() < 100, "the accept queue never filled");
    }
    let url = format!(
        "postgres://postgres@127.0.0.1:{port}/drinks?sslmode=disable&connect_timeout={}",
        timeout.as_secs()
    );
    let app = e2e::app_builder()
        .database_url(&url)
        .request_timeout(timeout * 10)
        .spawn()
        .await;
    let started = std::time::Instant::now();
    let response = app.get("/api/health").await;
    let took = started.elapsed();
    assert_eq!(response.status(), 503, "the database is unreachable");
    assert!(
        took >= timeout && took < timeout * 3,
        "the request took {took:?}; connect_timeout is {timeout:?}"
    );
    drop(queued);
}

/// The SQL the guide runs as the DBaaS admin user (deploy/sks/README.md, step 6).
fn guide_role_and_database_sql() -> String {
    let guide = read("deploy/sks/README.md");
    let mut lines = guide
        .lines()
        .skip_while(|l| !l.trim_end().ends_with("<<SQL"));
    assert!(lines.next().is_some(), "the guide has a psql <<SQL block");
    let sql: Vec<&str> = lines.take_while(|l| l.trim() != "SQL").collect();
    assert!(!sql.is_empty(), "the <<SQL block is not empty");
    sql.join("\n")
}

/// A role or database left on the shared server by a test is dropped, even after a panic.
struct Cleanup {
    admin: String,
    statements: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        e2e::cleanup_as_admin(&self.admin, std::mem::take(&mut self.statements));
    }
}

async fn connect_as(admin: &str, user: &str, database: &str) -> tokio_postgres::Client {
    let mut config: tokio_postgres::Config = admin.parse().expect("admin URL");
    assert_eq!(
        config.get_ssl_mode(),
        tokio_postgres::config::SslMode::Disable,
        "this test connects as other roles without TLS: use a local test server"
    );
    config.user(user).dbname(database);
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect as {user} to {database}: {e}"));
    tokio::spawn(connection);
    client
}

/// Runs `sql` statement by statement, as psql runs a script (each in its own transaction:
/// CREATE DATABASE refuses to run inside one).
async fn run_like_psql(
    client: &tokio_postgres::Client,
    sql: &str,
) -> Result<(), tokio_postgres::Error> {
    for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        client.batch_execute(statement).await?;
    }
    Ok(())
}

#[tokio::test]
async fn the_guides_sql_lets_an_admin_who_is_no_superuser_give_the_app_its_own_database() {
    // Exoscale's admin user (avnadmin) is not a superuser: CREATEROLE and CREATEDB only.
    // CREATE DATABASE … OWNER needs membership in the owner role, and PostgreSQL >= 16 no
    // longer gives it to the role's creator; the guide grants it first.
    let admin = e2e::admin_url();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let dbaas_admin = format!("avnadmin_{suffix}");
    let app = format!("drink_orders_{suffix}");
    let ungranted = format!("ungranted_{suffix}");
    let _cleanup = Cleanup {
        admin: admin.clone(),
        statements: vec![
            format!("DROP DATABASE IF EXISTS {app} WITH (FORCE)"),
            format!("DROP DATABASE IF EXISTS {ungranted} WITH (FORCE)"),
            format!("DROP ROLE IF EXISTS {app}"),
            format!("DROP ROLE IF EXISTS {ungranted}"),
            format!("DROP ROLE IF EXISTS {dbaas_admin}"),
        ],
    };
    devhost::connect(&admin)
        .await
        .expect("connect to the test server")
        .batch_execute(&format!(
            "CREATE ROLE {dbaas_admin} LOGIN CREATEROLE CREATEDB"
        ))
        .await
        .expect("create a DBaaS-like admin role");
    let as_admin = connect_as(&admin, &dbaas_admin, "postgres").await;

    let sql = guide_role_and_database_sql();
    assert!(
        sql.contains("TO CURRENT_USER"),
        "the guide grants the app role to the admin before CREATE DATABASE … OWNER: {sql}"
    );
    // Without the grant, as the guide was: refused, on PostgreSQL 15 as on 16+.
    let without_grant: String = sql
        .lines()
        .filter(|l| !l.contains("TO CURRENT_USER"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("drink_orders", &ungranted)
        .replace("$APP_PASSWORD", "not-a-secret");
    let refused = run_like_psql(&as_admin, &without_grant)
        .await
        .expect_err("CREATE DATABASE … OWNER without membership is refused");
    assert_eq!(
        refused.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{refused:?}"
    );
    // The guide's SQL as written.
    run_like_psql(
        &as_admin,
        &sql.replace("drink_orders", &app)
            .replace("$APP_PASSWORD", "not-a-secret"),
    )
    .await
    .unwrap_or_else(|e| panic!("the guide's SQL as a non-superuser admin: {e:?}\n{sql}"));
    // The app role owns its database and may create the schema in it (PostgreSQL >= 15
    // lets only the database owner create in `public`).
    connect_as(&admin, &app, &app)
        .await
        .batch_execute("CREATE TABLE migrations_probe (x int); DROP TABLE migrations_probe")
        .await
        .expect("the app role creates tables in its database");
}
#[test]
fn the_connection_budget_is_the_same_number_in_the_hpa_and_the_docs() {
    let docs = docs();
    let hpa = &only(&docs, "HorizontalPodAutoscaler").value;
    let max = hpa["spec"]["maxReplicas"].as_u64().expect("maxReplicas");
    // The operator's Deployment has Kubernetes' default rollout (maxSurge 25 %, rounded
    // up): one more pod than maxReplicas while a release rolls out.
    let surge = max.div_ceil(4);
    const SPIN_POOL: u64 = 64;
    const MIGRATION_JOB: u64 = 1;
    const HEADROOM: u64 = 10;
    let budget = (max + surge) * SPIN_POOL + MIGRATION_JOB + HEADROOM;
    let phrase = format!("{budget} connections");
    for path in [
        "deploy/k8s/hpa.yaml",
        "deploy/sks/README.md",
        "docs/OPERATIONS.md",
    ] {
        let text = read(path);
        assert!(
            text.contains(&phrase),
            "{path} must state the direct-connection budget as \"{phrase}\""
        );
        let numbers: BTreeSet<&str> = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .collect();
        for stale in ["205", "210"] {
            assert!(
                !numbers.contains(stale),
                "{path} still mentions {stale} (the budget is {budget})"
            );
        }
    }
}
