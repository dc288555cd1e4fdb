//! The index of served files that `web/build.mjs` writes next to them: `manifest.tsv`.
//!
//! ```text
//! # comment lines start with '#'
//! <path>\t<ETag>\t<gzip ETag or ->\t<brotli ETag or ->
//! js/api.1fa03bec52d9.js\t"1fa03bec52d92f6e18ba"\t"1fa03bec52d92f6e18ba-gz"\t"1fa03bec52d92f6e18ba-br"
//! ```
//!
//! Exactly the listed paths are served; the precompressed variants are the files `<path>.gz`
//! and `<path>.br`, which (like the manifest itself) are not listed and so are never served
//! as paths of their own. Lines that do not have this shape, or whose tags are not quoted
//! visible ASCII, are ignored: their paths answer 404 rather than a broken header.

use crate::encoding::Coding;

/// Where the manifest lives, relative to the served directory.
pub const FILE: &str = "manifest.tsv";

/// One served path and the ETags of its representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub etag: &'a str,
    pub gzip: Option<&'a str>,
    pub br: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// The ETag of a representation (identity when the variant does not exist).
    pub fn etag_of(&self, coding: Coding) -> &'a str {
        let variant = match coding {
            Coding::Gzip => self.gzip,
            Coding::Br => self.br,
            Coding::Identity => None,
        };
        variant.unwrap_or(self.etag)
    }
}

/// The file holding a representation of `path`.
pub fn stored_file(path: &str, coding: Coding) -> String {
    match coding {
        Coding::Identity => path.to_owned(),
        Coding::Gzip => format!("{path}.gz"),
        Coding::Br => format!("{path}.br"),
    }
}

/// The entry of `path` (as returned by [`crate::path::resolve`]), if the manifest lists it.
pub fn lookup<'a>(manifest: &'a str, path: &str) -> Option<Entry<'a>> {
    manifest
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let mut fields = line.split('\t');
            if fields.next()? != path {
                return None;
            }
            let etag = fields.next().filter(|t| is_etag(t))?;
            let variant = |field: Option<&'a str>| match field? {
                "-" => Some(None),
                tag if is_etag(tag) => Some(Some(tag)),
                _ => None,
            };
            let gzip = variant(fields.next())?;
            let br = variant(fields.next())?;
            fields.next().is_none().then_some(Entry { etag, gzip, br })
        })
}

/// A strong entity-tag that is safe as a header value: `"` + visible ASCII but `"` + `"`.
fn is_etag(tag: &str) -> bool {
    tag.len() >= 3
        && tag.starts_with('"')
        && tag.ends_with('"')
        && tag[1..tag.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "# Drink Orders static files\n\
        # path\tETag\tgzip\tbr\n\
        index.html\t\"aa\"\t\"aa-gz\"\t\"aa-br\"\n\
        livez.txt\t\"bb\"\t-\t-\n\
        js/app.0123456789ab.js\t\"cc\"\t\"cc-gz\"\t-\n\
        my file.txt\t\"dd\"\t-\t-\n\
        broken.js\tno-quotes\t-\t-\n\
        short.js\t\"ee\"\t-\n\
        long.js\t\"ff\"\t-\t-\textra\n\
        header.js\t\"g\r\"\t-\t-\n";

    #[test]
    fn listed_paths_are_found_with_their_tags() {
        assert_eq!(
            lookup(MANIFEST, "index.html"),
            Some(Entry {
                etag: "\"aa\"",
                gzip: Some("\"aa-gz\""),
                br: Some("\"aa-br\"")
            })
        );
        assert_eq!(
            lookup(MANIFEST, "js/app.0123456789ab.js"),
            Some(Entry {
                etag: "\"cc\"",
                gzip: Some("\"cc-gz\""),
                br: None
            })
        );
        assert_eq!(
            lookup(MANIFEST, "my file.txt").map(|e| e.etag),
            Some("\"dd\"")
        );
    }

    #[test]
    fn unlisted_paths_variants_and_comments_are_not_found() {
        for path in [
            "missing.js",
            "index.html.gz",
            "index.html.br",
            "manifest.tsv",
            "# Drink Orders static files",
            "",
            "js",
            "js/app.js",
        ] {
            assert_eq!(lookup(MANIFEST, path), None, "{path}");
        }
    }

    #[test]
    fn malformed_lines_are_ignored() {
        for path in ["broken.js", "short.js", "long.js", "header.js"] {
            assert_eq!(lookup(MANIFEST, path), None, "{path}");
        }
    }

    #[test]
    fn each_representation_has_its_tag_and_file() {
        let entry = lookup(MANIFEST, "js/app.0123456789ab.js").expect("entry");
        assert_eq!(entry.etag_of(Coding::Identity), "\"cc\"");
        assert_eq!(entry.etag_of(Coding::Gzip), "\"cc-gz\"");
        assert_eq!(entry.etag_of(Coding::Br), "\"cc\"");
        assert_eq!(stored_file("a/b.js", Coding::Identity), "a/b.js");
        assert_eq!(stored_file("a/b.js", Coding::Gzip), "a/b.js.gz");
        assert_eq!(stored_file("a/b.js", Coding::Br), "a/b.js.br");
    }
}
