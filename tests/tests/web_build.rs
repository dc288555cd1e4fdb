//! The frontend's build step, `web/build.mjs`, on small fixture sites: what it names, rewrites
//! and removes, and what it refuses. Needs node and `web/node_modules` (`cargo xtask build`);
//! a missing one is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fixture site under target/, removed on drop.
struct Site {
    dir: PathBuf,
}

impl Site {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = e2e::workspace_root()
            .join("target/web-build-test")
            .join(uuid::Uuid::new_v4().simple().to_string());
        let site = Site { dir };
        site.write(files);
        site
    }

    fn write(&self, files: &[(&str, &str)]) {
        for (path, text) in files {
            let full = self.src().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, text).expect("write");
        }
    }

    fn src(&self) -> PathBuf {
        self.dir.join("src")
    }

    fn out(&self) -> PathBuf {
        self.dir.join("dist")
    }

    fn build(&self) -> Output {
        let root = e2e::workspace_root();
        assert!(
            root.join("web/node_modules/es-module-lexer").exists(),
            "web/node_modules is missing: run `cargo xtask build` (or `npm ci --prefix web`)"
        );
        Command::new("node")
            .arg(root.join("web/build.mjs"))
            .arg("--src")
            .arg(self.src())
            .arg("--out")
            .arg(self.out())
            .output()
            .expect("node must be installed to build the frontend (apt-get install nodejs npm)")
    }

    fn build_ok(&self) {
        let output = self.build();
        assert!(
            output.status.success(),
            "web/build.mjs failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Served paths of the manifest.
    fn served(&self) -> Vec<String> {
        std::fs::read_to_string(self.out().join("manifest.tsv"))
            .expect("manifest")
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| line.split('\t').next().unwrap_or_default().to_owned())
            .collect()
    }

    fn served_like(&self, prefix: &str) -> String {
        let matches: Vec<String> = self
            .served()
            .into_iter()
            .filter(|p| p.starts_with(prefix))
            .collect();
        assert_eq!(matches.len(), 1, "{prefix}: {matches:?}");
        matches[0].clone()
    }

    fn read_out(&self, path: &str) -> String {
        std::fs::read_to_string(self.out().join(path)).expect("built file")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const INDEX: &str = "<!doctype html><link rel=\"stylesheet\" href=\"/css/app.css\">\
    <script type=\"module\" src=\"/js/main.js\"></script>";

fn files_of(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        if entry.file_type().expect("type").is_dir() {
            out.extend(files_of(&entry.path()));
        } else {
            out.push(entry.path().display().to_string());
        }
    }
    out
}

#[test]
fn the_build_names_modules_by_content_and_points_imports_and_the_page_at_them() {
    let site = Site::new(&[
        ("index.html", INDEX),
        ("css/app.css", "body { margin: 0 }"),
        (
            "js/main.js",
            "import { a } from \"./a.js\";\n// import \"./not-a-module.js\"\nconst view = await import(\"./view.js\");\nexport { a, view };\n",
        ),
        ("js/a.js", "export const a = 1;\n"),
        (
            "js/view.js",
            "import { a } from \"/js/a.js\";\nexport const v = a;\n",
        ),
        (
            "img/logo.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
    ]);
    site.build_ok();
    let main = site.served_like("js/main.");
    let a = site.served_like("js/a.");
    let view = site.served_like("js/view.");
    let css = site.served_like("css/app.");
    assert!(site.served().contains(&"img/logo.svg".to_owned()));
    let main_text = site.read_out(&main);
    assert!(main_text.contains(&format!("from \"/{a}\"")), "{main_text}");
    assert!(
        main_text.contains(&format!("import(\"/{view}\")")),
        "{main_text}"
    );
    assert!(
        main_text.contains("// import \"./not-a-module.js\""),
        "{main_text}"
    );
    assert!(site.read_out(&view).contains(&format!("\"/{a}\"")));
    let index = site.read_out("index.html");
    assert!(index.contains(&format!("src=\"/{main}\"")), "{index}");
    assert!(index.contains(&format!("href=\"/{css}\"")), "{index}");

    // A change in a.js renames it and every module that imports it, not the others.
    site.write(&[("js/a.js", "export const a = 2;\n")]);
    site.build_ok();
    assert_ne!(site.served_like("js/a."), a);
    assert_ne!(site.served_like("js/view."), view);
    assert_ne!(site.served_like("js/main."), main);
    assert_eq!(site.served_like("css/app."), css);
    // Files of the older build are gone.
    let left = files_of(&site.out());
    assert!(!left.iter().any(|f| f.ends_with(&a)), "{left:?}");
    assert!(!left.iter().any(|f| f.ends_with(&main)), "{left:?}");
}

#[test]
fn the_build_refuses_imports_it_cannot_fingerprint() {
    for (case, main, expected) in [
        ("bare", "import x from \"lodash\";\n", "bare specifiers"),
        (
            "missing",
            "import \"./nope.js\";\n",
            "not a module of the sources",
        ),
        (
            "computed",
            "const m = \"./a.js\";\nimport(m);\n",
            "no string literal",
        ),
        ("cycle", "import \"./a.js\";\n", "import cycle"),
    ] {
        let a = if case == "cycle" {
            "import \"./main.js\";\n"
        } else {
            "export const a = 1;\n"
        };
        let site = Site::new(&[
            ("index.html", INDEX),
            ("css/app.css", "body { margin: 0 }"),
            ("js/main.js", main),
            ("js/a.js", a),
        ]);
        let output = site.build();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{case}: the build passed");
        assert!(stderr.contains(expected), "{case}: {stderr}");
    }
}

const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">\
    <rect width=\"64\" height=\"64\" fill=\"#c2410c\"/></svg>";
const SERVICE_WORKER: &str = "const BUILD = self.__BUILD__;\n";

#[test]
fn the_service_worker_keeps_its_name_and_lists_every_file_of_its_build() {
    let site = Site::new(&[
        ("index.html", INDEX),
        ("css/app.css", "body { margin: 0 }"),
        ("js/main.js", "export const a = 1;\n"),
        ("sw.js", SERVICE_WORKER),
        ("img/icon.svg", ICON),
        (
            "manifest.webmanifest",
            "{\"icons\": [{\"src\": \"/img/icon-192.png\"}, {\"src\": \"/img/icon-maskable-512.png\"}]}",
        ),
    ]);
    site.build_ok();
    let served = site.served();
    assert!(served.contains(&"sw.js".to_owned()), "{served:?}");
    for icon in [
        "img/icon-192.png",
        "img/icon-512.png",
        "img/icon-maskable-512.png",
        "img/apple-touch-icon.png",
    ] {
        assert!(served.contains(&icon.to_owned()), "{icon}: {served:?}");
        let png = std::fs::read(site.out().join(icon)).expect("icon");
        assert_eq!(&png[1..4], b"PNG", "{icon} is a PNG");
    }
    let main = site.served_like("js/main.");
    let data = |text: &str| -> serde_json::Value {
        let json = text
            .strip_prefix("const BUILD = ")
            .and_then(|rest| rest.strip_suffix(";\n"))
            .expect("the marker is replaced");
        serde_json::from_str(json).expect("build data")
    };
    let first = data(&site.read_out("sw.js"));
    let precache: Vec<&str> = first["precache"]
        .as_array()
        .expect("precache")
        .iter()
        .map(|p| p.as_str().expect("path"))
        .collect();
    assert!(precache.contains(&"/"), "index.html as /: {precache:?}");
    assert!(
        precache.contains(&format!("/{main}").as_str()),
        "{precache:?}"
    );
    assert!(precache.contains(&"/img/icon-192.png"), "{precache:?}");
    assert!(!precache.contains(&"/sw.js"), "{precache:?}");

    // Any change of a served file is a new version of the worker; a rebuild without one is not.
    site.build_ok();
    assert_eq!(data(&site.read_out("sw.js"))["version"], first["version"]);
    site.write(&[("js/main.js", "export const a = 2;\n")]);
    site.build_ok();
    assert_ne!(data(&site.read_out("sw.js"))["version"], first["version"]);
}

#[test]
fn the_build_refuses_a_service_worker_without_its_marker_and_a_manifest_icon_it_does_not_make() {
    for (case, files, expected) in [
        (
            "marker",
            vec![("sw.js", "const BUILD = {};\n")],
            "must contain self.__BUILD__",
        ),
        (
            "icon",
            vec![(
                "manifest.webmanifest",
                "{\"icons\": [{\"src\": \"/img/nope.png\"}]}",
            )],
            "is not a file of the build",
        ),
        (
            "import",
            vec![("js/a.js", "import \"/sw.js\";\n")],
            "not a module",
        ),
    ] {
        let site = Site::new(&[
            ("index.html", INDEX),
            ("css/app.css", "body { margin: 0 }"),
            ("js/main.js", "export const a = 1;\n"),
        ]);
        site.write(&files);
        let output = site.build();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{case}: the build passed");
        assert!(stderr.contains(expected), "{case}: {stderr}");
    }
}
