//! Loading spin.toml into runnable components, and handling one HTTP request the way
//! Spin's HTTP trigger does: route by path, add Spin's request headers, instantiate a
//! fresh instance of the component from its `InstancePre`, call `wasi:http/incoming-handler`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder,
};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{DirPerms, FilePerms, WasiCtx};
use wasmtime_wasi_http::bindings::ProxyPre;
use wasmtime_wasi_http::bindings::http::types::Scheme;
use wasmtime_wasi_http::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpView, hyper_request_error};

use crate::manifest::{FileMount, Manifest};
use crate::outbound::AllowedHosts;
use crate::pg::{PgPools, SharedPools};
use crate::routes::{RouteMatch, Router};
use crate::state::{ComponentContext, HostState};
use crate::variables::{AppVariables, VariableSource};

/// `.context()` for Wasmtime's own error type (it converts into `anyhow::Error`).
trait WasmtimeContext<T> {
    fn wt_context<C: std::fmt::Display + Send + Sync + 'static>(
        self,
        f: impl FnOnce() -> C,
    ) -> anyhow::Result<T>;
}

impl<T> WasmtimeContext<T> for Result<T, wasmtime::Error> {
    fn wt_context<C: std::fmt::Display + Send + Sync + 'static>(
        self,
        f: impl FnOnce() -> C,
    ) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::Error::from(e).context(f()))
    }
}

/// How to load an application.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub manifest: PathBuf,
    pub variables: VariableSource,
    /// `spin up --max-instance-memory`: the most linear memory, in bytes, one instance may
    /// grow to. `None`: the pooling allocator's limit of [`DEFAULT_MAX_INSTANCE_MEMORY`], as
    /// on Spin.
    pub max_instance_memory: Option<usize>,
    /// `spin up --direct-mounts`: mount `files` sources themselves instead of a copy taken
    /// at start, so that changes show without a restart.
    pub direct_mounts: bool,
}

/// Spin's per-instance memory limit when `--max-instance-memory` is not given: the pooling
/// allocator's `max_memory_size` (spinframework/spin v3.6.3 crates/core/src/lib.rs:167).
pub const DEFAULT_MAX_INSTANCE_MEMORY: usize = 4 << 30;

struct LoadedComponent {
    proxy: ProxyPre<HostState>,
    prepared: Prepared,
}

/// A loaded application: router plus pre-instantiated components. Cheap to share.
pub struct App {
    router: Router,
    components: HashMap<String, LoadedComponent>,
    pools: SharedPools,
    /// The app's key-value stores (Spin's `default`), shared by every instance.
    kv: crate::kv::Stores,
    /// The body of `/.well-known/spin/info`.
    info: Bytes,
    /// The copies of mounted files, removed when the app is dropped (the host stopped).
    _copies: Option<tempfile::TempDir>,
    /// Instances of HTTP components running now (a guest may run on after its response
    /// head, while it writes the body).
    running: Arc<AtomicUsize>,
}

/// Counts a running instance until dropped (when its task ends, however it ends).
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Paths under this prefix are answered by the host, never routed
/// (spinframework/spin v3.6.3 crates/routes/src/lib.rs:11).
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

/// `/.well-known/spin/info` (spinframework/spin v3.6.3 crates/http/src/app_info.rs:5-12):
/// the application's name and, when the manifest has one, its version.
#[derive(serde::Serialize)]
struct AppInfo<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

/// The Wasmtime configuration of the host: async, component model, pooling allocator;
/// with `cache_dir`, Wasmtime's own cache of compiled code in that directory (keyed by the
/// wasm bytes and the engine's configuration), so a component is compiled once and later
/// runs load it.
pub fn new_engine(cache_dir: Option<&Path>) -> anyhow::Result<Engine> {
    let cache = cache_dir.map(compile_cache).transpose()?;
    engine_with_cache(cache)
}

/// Wasmtime's compile cache in `dir` (created if missing; Wasmtime wants it absolute).
fn compile_cache(dir: &Path) -> anyhow::Result<wasmtime::Cache> {
    let dir = &std::path::absolute(dir)
        .with_context(|| format!("resolving cache dir {}", dir.display()))?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating cache dir {}", dir.display()))?;
    let mut config = wasmtime::CacheConfig::new();
    config.with_directory(dir);
    wasmtime::Cache::new(config)
        .wt_context(|| format!("setting up the compile cache in {}", dir.display()))
}

fn engine_with_cache(cache: Option<wasmtime::Cache>) -> anyhow::Result<Engine> {
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(1_000)
        .total_core_instances(4_000)
        .total_memories(2_000)
        .total_tables(4_000)
        .max_memory_size(DEFAULT_MAX_INSTANCE_MEMORY);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling))
        .cache(cache);
    let engine = Engine::new(&config).wt_context(|| "creating the Wasmtime engine")?;
    // The epoch ticks every EPOCH_TICK; each store yields to the async executor at every
    // tick, so a guest that computes for long never pins an executor thread and other
    // requests keep being served. The ticker ends with the engine.
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .context("starting the epoch ticker")?;
    Ok(engine)
}

/// How often a running guest yields to other requests.
const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// One engine per process, so that tests starting many hosts share its compiled code and
/// its pooling reservation. The first call decides the cache directory.
pub fn shared_engine(cache_dir: Option<&Path>) -> anyhow::Result<Engine> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    if let Some(engine) = ENGINE.get() {
        return Ok(engine.clone());
    }
    let engine = new_engine(cache_dir)?;
    Ok(ENGINE.get_or_init(|| engine).clone())
}

/// Reads and compiles a component (Wasmtime's cache, if the engine has one, skips the
/// compilation of bytes it has seen).
fn load_component(engine: &Engine, wasm: &Path) -> anyhow::Result<Component> {
    let bytes = std::fs::read(wasm).with_context(|| {
        format!(
            "reading component {} (build the components first: `cargo xtask build`)",
            wasm.display()
        )
    })?;
    Component::new(engine, &bytes).wt_context(|| format!("compiling {}", wasm.display()))
}

fn mounts(base: &Path, id: &str, files: &[FileMount]) -> anyhow::Result<Vec<(PathBuf, String)>> {
    files
        .iter()
        .map(|mount| {
            let (source, destination) = match mount {
                FileMount::Placement { source, destination } => (source.clone(), destination.clone()),
                FileMount::Pattern(pattern) => {
                    if pattern.contains(['*', '?', '[']) {
                        bail!("component {id}: glob patterns in `files` are not supported here; use {{ source, destination }}");
                    }
                    (pattern.clone(), format!("/{}", pattern.trim_start_matches("./")))
                }
            };
            let host = base.join(&source);
            if !host.is_dir() {
                bail!("component {id}: files source {} is not a directory", host.display());
            }
            if !destination.starts_with('/') {
                bail!("component {id}: files destination {destination:?} must be absolute");
            }
            Ok((host, destination))
        })
        .collect()
}

/// Everything about one component that does not change between requests.
struct Prepared {
    pre: wasmtime::component::InstancePre<HostState>,
    context: Arc<ComponentContext>,
    mounts: Vec<(PathBuf, String)>,
    environment: Vec<(String, String)>,
    max_instance_memory: Option<usize>,
}

impl Prepared {
    /// A fresh store for one instance, as Spin creates per request.
    fn store(
        &self,
        pools: &SharedPools,
        kv: &crate::kv::Stores,
        output: Option<&Output>,
    ) -> anyhow::Result<Store<HostState>> {
        let mut wasi = WasiCtx::builder();
        match output {
            Some(out) => {
                wasi.stdout(out.stdout.clone()).stderr(out.stderr.clone());
            }
            None => {
                wasi.inherit_stdout().inherit_stderr();
            }
        }
        wasi.envs(&self.environment);
        for (host, guest) in &self.mounts {
            wasi.preopened_dir(host, guest, DirPerms::READ, FilePerms::READ)
                .wt_context(|| format!("mounting {}", host.display()))?;
        }
        let mut store = Store::new(
            self.pre.engine(),
            HostState {
                wasi: wasi.build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                component: self.context.clone(),
                pools: pools.clone(),
                kv: crate::kv::InstanceStores::new(
                    self.context.key_value_stores.clone(),
                    kv.clone(),
                ),
                limits: match self.max_instance_memory {
                    Some(bytes) => StoreLimitsBuilder::new().memory_size(bytes).build(),
                    None => StoreLimits::default(),
                },
            },
        );
        // Like Spin's MaxInstanceMemoryHook (spinframework/spin v3.6.3
        // crates/trigger/src/cli/max_instance_memory.rs:20-25): only with the flag; a grow
        // past the limit fails (memory.grow returns -1) rather than trapping.
        if self.max_instance_memory.is_some() {
            store.limiter(|state| &mut state.limits);
        }
        store.epoch_deadline_async_yield_and_update(1);
        Ok(store)
    }
}

/// Captured standard output and error of a command component.
#[derive(Clone)]
struct Output {
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

/// A manifest loaded far enough to prepare any of its components.
struct Loader {
    manifest: Manifest,
    base: PathBuf,
    variables: AppVariables,
    linker: Linker<HostState>,
    max_instance_memory: Option<usize>,
    /// Where the `files` sources are copied at start (removed when dropped), as `spin up`
    /// does unless `--direct-mounts` (spinframework/spin v3.6.3 src/commands/up.rs:499-503);
    /// `None` with direct mounts.
    copies: Option<tempfile::TempDir>,
}

impl Loader {
    fn new(engine: &Engine, options: &AppOptions) -> anyhow::Result<Self> {
        let manifest = Manifest::from_file(&options.manifest)?;
        let base = options
            .manifest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let variables = AppVariables::resolve(&manifest, &options.variables)?;
        let mut linker: Linker<HostState> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .wt_context(|| "adding WASI to the linker")?;
        wasmtime_wasi_http::add_only_http_to_linker_async(&mut linker)
            .wt_context(|| "adding wasi:http to the linker")?;
        crate::bindings::SpinImports::add_to_linker::<HostState, HasSelf<HostState>>(
            &mut linker,
            |state| state,
        )
        .wt_context(|| "adding the Spin interfaces to the linker")?;
        let copies = if options.direct_mounts {
            None
        } else {
            Some(
                tempfile::Builder::new()
                    .prefix("devhost-files-")
                    .tempdir()
                    .context("creating the directory for copies of mounted files")?,
            )
        };
        Ok(Self {
            manifest,
            base,
            variables,
            linker,
            max_instance_memory: options.max_instance_memory,
            copies,
        })
    }

    fn prepare(&self, engine: &Engine, id: &str) -> anyhow::Result<Prepared> {
        let decl = self
            .manifest
            .component
            .get(id)
            .with_context(|| format!("no component {id}"))?;
        let wasm = self.base.join(decl.source_path()?);
        let component = load_component(engine, &wasm)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .wt_context(|| format!("linking component {id}"))?;
        let hosts = decl
            .allowed_outbound_hosts
            .iter()
            .map(|h| self.variables.expand(h))
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| format!("component {id}: allowed_outbound_hosts"))?;
        let context = Arc::new(ComponentContext {
            id: id.to_string(),
            variables: self
                .variables
                .for_component(&decl.variables)
                .with_context(|| format!("component {id}"))?,
            allowed_hosts: AllowedHosts::parse(&hosts)
                .with_context(|| format!("component {id}"))?,
            key_value_stores: Arc::new(decl.key_value_stores.iter().cloned().collect()),
        });
        Ok(Prepared {
            pre,
            context,
            mounts: self.copy_mounts(id, mounts(&self.base, id, &decl.files)?)?,
            environment: decl
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            max_instance_memory: self.max_instance_memory,
        })
    }

    /// Without direct mounts, each mounted directory is replaced by a copy taken now.
    fn copy_mounts(
        &self,
        id: &str,
        mounts: Vec<(PathBuf, String)>,
    ) -> anyhow::Result<Vec<(PathBuf, String)>> {
        let Some(root) = &self.copies else {
            return Ok(mounts);
        };
        mounts
            .into_iter()
            .enumerate()
            .map(|(i, (source, guest))| {
                let copy = root.path().join(id).join(i.to_string());
                copy_dir(&source, &copy).with_context(|| {
                    format!("component {id}: copying files from {}", source.display())
                })?;
                Ok((copy, guest))
            })
            .collect()
    }
}

/// Copies a directory tree (following symbolic links, as Spin's copy does).
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry.with_context(|| format!("reading {}", from.display()))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let metadata =
            std::fs::metadata(&source).with_context(|| format!("reading {}", source.display()))?;
        if metadata.is_dir() {
            copy_dir(&source, &target)?;
        } else {
            std::fs::copy(&source, &target)
                .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
        }
    }
    Ok(())
}

/// What a command component printed and how it exited.
#[derive(Debug, Clone)]
pub struct CommandOutcome {
    pub component: String,
    pub exit_code: i32,
    /// Captured output (empty when the output went to the host's own stdout/stderr).
    pub stdout: String,
    pub stderr: String,
}

/// Runs every `[[trigger.command]]` component of a manifest once, in order, as Spin's
/// command trigger does; stops at the first one that fails. With `capture`, the guests'
/// stdout/stderr are returned instead of printed.
pub async fn run_commands(
    engine: &Engine,
    options: &AppOptions,
    capture: bool,
) -> anyhow::Result<Vec<CommandOutcome>> {
    let loader = Loader::new(engine, options)?;
    if loader.manifest.trigger.command.is_empty() {
        bail!("{} has no [[trigger.command]]", options.manifest.display());
    }
    let pools: SharedPools = Arc::new(PgPools::default());
    let kv = crate::kv::Stores::default();
    let mut outcomes = Vec::new();
    for trigger in &loader.manifest.trigger.command {
        let id = &trigger.component;
        let prepared = loader.prepare(engine, id)?;
        let command_pre = CommandPre::new(prepared.pre.clone())
            .wt_context(|| format!("component {id} does not export wasi:cli/run"))?;
        let output = capture.then(|| Output {
            stdout: MemoryOutputPipe::new(1 << 20),
            stderr: MemoryOutputPipe::new(1 << 20),
        });
        let mut store = prepared.store(&pools, &kv, output.as_ref())?;
        let result = async {
            let command = command_pre.instantiate_async(&mut store).await?;
            command.wasi_cli_run().call_run(&mut store).await
        }
        .await;
        let exit_code = match result {
            Ok(Ok(())) => 0,
            Ok(Err(())) => 1,
            Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(exit) => exit.0,
                None => {
                    return Err(
                        anyhow::Error::from(e).context(format!("command component {id} trapped"))
                    );
                }
            },
        };
        let text = |pipe: &MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
        outcomes.push(CommandOutcome {
            component: id.clone(),
            exit_code,
            stdout: output.as_ref().map(|o| text(&o.stdout)).unwrap_or_default(),
            stderr: output.as_ref().map(|o| text(&o.stderr)).unwrap_or_default(),
        });
        if exit_code != 0 {
            break;
        }
    }
    Ok(outcomes)
}

impl App {
    /// Loads the HTTP side of a manifest: every component an HTTP route names, compiled
    /// once (or loaded from the cache) and pre-instantiated.
    pub fn load(engine: &Engine, options: &AppOptions) -> anyhow::Result<Self> {
        let loader = Loader::new(engine, options)?;
        let mut components = HashMap::new();
        for trigger in &loader.manifest.trigger.http {
            let id = &trigger.component;
            if components.contains_key(id) {
                continue;
            }
            let prepared = loader.prepare(engine, id)?;
            let proxy = ProxyPre::new(prepared.pre.clone()).wt_context(|| {
                format!("component {id} does not export wasi:http/incoming-handler")
            })?;
            components.insert(id.clone(), LoadedComponent { proxy, prepared });
        }
        let router = Router::build(
            loader
                .manifest
                .trigger
                .http
                .iter()
                .map(|t| (t.route.as_str(), t.component.as_str())),
        )?;
        let info = serde_json::to_vec_pretty(&AppInfo {
            name: &loader.manifest.application.name,
            version: loader.manifest.application.version.as_deref(),
        })
        .context("serializing the app info")?;
        Ok(Self {
            router,
            components,
            pools: Arc::new(PgPools::default()),
            kv: crate::kv::Stores::default(),
            info: Bytes::from(info),
            _copies: loader.copies,
            running: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// How many instances of HTTP components are running now: one per request from its
    /// instantiation until its handler returns (after the response, when it streams the
    /// body), traps or is dropped.
    pub fn running_instances(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Handles one request the way Spin 3.6.3's HTTP trigger does
    /// (spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:278-311):
    ///
    /// 1. `/.well-known/spin/health` and `/.well-known/spin/info` are answered by the host
    ///    itself, any other name under `/.well-known/spin/` is a 404 with an empty body;
    /// 2. a path no route matches is a 404 with an empty body;
    /// 3. a request whose authority cannot be determined (no `Host` and no authority in the
    ///    target, a `Host` that is not an authority, a target authority that differs from
    ///    `Host`) is an error: the connection is closed without a response;
    /// 4. host errors, a request header that is not UTF-8 and guest traps are a logged 500
    ///    with an empty body.
    pub async fn handle(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let (component, outcome) = self.dispatch(req, client).await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        match &outcome {
            Ok(response) => tracing::info!(
                target: "devhost::request",
                "{method} {path} {component} {} {elapsed:.1}ms",
                response.status().as_u16(),
            ),
            Err(e) => tracing::info!(
                target: "devhost::request",
                "{method} {path} {component} closed without a response ({e}) {elapsed:.1}ms",
            ),
        }
        outcome
    }

    async fn dispatch(
        &self,
        mut req: hyper::Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> (String, anyhow::Result<hyper::Response<HyperOutgoingBody>>) {
        let path = req.uri().path().to_string();
        if let Some(name) = path.strip_prefix(WELL_KNOWN_PREFIX) {
            return (String::from("-"), Ok(self.well_known(name)));
        }
        let Some(route) = self.router.route(&path) else {
            return (String::from("-"), Ok(empty(404)));
        };
        let component = route.component.clone();
        if let Err(e) = set_request_uri(&mut req) {
            return (component, Err(e));
        }
        let response = match self.call(route, req, client).await {
            Ok(response) => response,
            Err(e) => {
                tracing::error!(component = %component, "request failed: {}", crate::error_chain(&e));
                empty(500)
            }
        };
        (component, Ok(response))
    }

    /// spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:293-301 (health: `OK`,
    /// no content type) and 464-474 with crates/http/src/app_info.rs (info: pretty JSON).
    fn well_known(&self, name: &str) -> hyper::Response<HyperOutgoingBody> {
        match name {
            "health" => body_response(200, Bytes::from_static(b"OK"), None),
            "info" => body_response(200, self.info.clone(), Some("application/json")),
            _ => empty(404),
        }
    }

    async fn call(
        &self,
        route: RouteMatch,
        mut req: hyper::Request<hyper::body::Incoming>,
        client: SocketAddr,
    ) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
        let loaded = self
            .components
            .get(&route.component)
            .with_context(|| format!("no component {}", route.component))?;
        check_header_text(&req)?;
        add_spin_headers(&mut req, &route, client)?;

        let mut store = loaded.prepared.store(&self.pools, &self.kv, None)?;
        let req = req.map(|body| body.map_err(hyper_request_error));
        let incoming = store.data_mut().new_incoming_request(Scheme::Http, req)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let outparam = store.data_mut().new_response_outparam(sender)?;
        let pre = loaded.proxy.clone();

        // The guest runs in its own task: it may keep streaming the body after it has set
        // the response head.
        let running = Running::start(&self.running);
        let task = tokio::task::spawn(async move {
            let _running = running;
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await
        });

        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(anyhow::anyhow!(
                "component returned an error code: {code:?}"
            )),
            Err(_) => {
                let cause = match task.await {
                    Ok(Ok(())) => anyhow::anyhow!("component never set a response"),
                    Ok(Err(e)) => anyhow::Error::from(e),
                    Err(e) => anyhow::Error::new(e),
                };
                Err(cause.context(format!("component {} trapped or failed", route.component)))
            }
        }
    }
}

/// Gives the request URI its scheme and authority, from the `Host` header or the target,
/// as Spin does before running a component (spinframework/spin v3.6.3
/// crates/trigger-http/src/server.rs:594-629). Fails, and the connection is then closed
/// without a response, when neither names an authority, when `Host` is not one, or when
/// both do and differ. An HTTP/1.0 request without `Host` has no authority either.
fn set_request_uri<B>(req: &mut hyper::Request<B>) -> anyhow::Result<()> {
    use hyper::http::uri::{Authority, Scheme as UriScheme, Uri};
    let header = req
        .headers()
        .get(hyper::header::HOST)
        .map(|h| -> anyhow::Result<Authority> {
            h.to_str()
                .context("'Host' header is not valid UTF-8")?
                .parse()
                .context("'Host' header contains an invalid authority")
        })
        .transpose()?;
    let mut parts = req.uri().clone().into_parts();
    let authority = match (header, parts.authority.take()) {
        (None, None) => bail!("no 'Host' header present in request"),
        (Some(a), None) | (None, Some(a)) => a,
        (Some(header), Some(target)) if header == target => header,
        (Some(_), Some(_)) => bail!("authority in 'Host' header does not match authority in URI"),
    };
    parts.scheme = Some(UriScheme::HTTP);
    parts.authority = Some(authority);
    *req.uri_mut() = Uri::from_parts(parts).context("building the request URI")?;
    Ok(())
}

/// Spin hands the component every request header as text and answers 500 before running
/// it when one is not UTF-8 (spinframework/spin v3.6.3
/// crates/trigger-http/src/headers.rs:94-107).
fn check_header_text<B>(req: &hyper::Request<B>) -> anyhow::Result<()> {
    for (name, value) in req.headers() {
        std::str::from_utf8(value.as_bytes())
            .with_context(|| format!("request header {name} is not valid UTF-8"))?;
    }
    Ok(())
}

/// The headers Spin's HTTP trigger adds (overwriting any a client sent with these names).
fn add_spin_headers<B>(
    req: &mut hyper::Request<B>,
    route: &RouteMatch,
    client: SocketAddr,
) -> anyhow::Result<()> {
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let full_url = format!("http://{host}{path_and_query}");
    let pairs = [
        ("spin-full-url", full_url),
        ("spin-path-info", route.path_info.clone()),
        ("spin-matched-route", route.matched_route.clone()),
        ("spin-base-path", "/".to_string()),
        ("spin-raw-component-route", route.raw_route.clone()),
        ("spin-component-route", route.component_route.clone()),
        ("spin-client-addr", client.to_string()),
    ];
    let headers = req.headers_mut();
    for (name, value) in pairs {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).context("header value")?,
        );
    }
    Ok(())
}

/// A response with an empty body (hyper sends `content-length: 0`) and no content type,
/// as Spin's 404 and 500 (spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:476-510).
pub(crate) fn empty(status: u16) -> hyper::Response<HyperOutgoingBody> {
    body_response(status, Bytes::new(), None)
}

fn body_response(
    status: u16,
    body: Bytes,
    content_type: Option<&'static str>,
) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(body)
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(content_type) = content_type {
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: the preamble of an empty component binary.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    #[test]
    fn a_component_is_compiled_once_and_then_loaded_from_the_cache() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let first = compile_cache(dir.path()).expect("cache");
        let engine = engine_with_cache(Some(first.clone())).expect("engine");
        Component::new(&engine, EMPTY_COMPONENT).expect("compiles");
        assert_eq!((first.cache_hits(), first.cache_misses()), (0, 1));

        // Another run (a new engine with the same configuration) finds it compiled.
        let second = compile_cache(dir.path()).expect("cache");
        let engine = engine_with_cache(Some(second.clone())).expect("engine");
        Component::new(&engine, EMPTY_COMPONENT).expect("loads");
        assert_eq!((second.cache_hits(), second.cache_misses()), (1, 0));
    }
}
