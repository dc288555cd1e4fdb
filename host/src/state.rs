//! Per-request store data: WASI, wasi:http and the Spin interfaces of one component instance.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::body::HyperOutgoingBody;
use wasmtime_wasi_http::types::{HostFutureIncomingResponse, OutgoingRequestConfig};
use wasmtime_wasi_http::{HttpResult, WasiHttpCtx, WasiHttpView};

use crate::bindings::variables;
use crate::outbound::AllowedHosts;
use crate::pg::SharedPools;

/// What the host knows about a component from spin.toml, resolved once at start-up.
#[derive(Debug)]
pub struct ComponentContext {
    pub id: String,
    /// `[component.x.variables]` with templates expanded.
    pub variables: HashMap<String, String>,
    pub allowed_hosts: AllowedHosts,
}

pub struct HostState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub component: Arc<ComponentContext>,
    pub pools: SharedPools,
    /// Used only with `--max-instance-memory`.
    pub limits: wasmtime::StoreLimits,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn ctx(&mut self) -> &mut WasiHttpCtx {
        &mut self.http
    }

    fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// No component of this app makes outbound HTTP requests, and none lists an HTTP
    /// host in `allowed_outbound_hosts`: refuse, as Spin would.
    fn send_request(
        &mut self,
        _request: hyper::Request<HyperOutgoingBody>,
        _config: OutgoingRequestConfig,
    ) -> HttpResult<HostFutureIncomingResponse> {
        tracing::warn!(component = %self.component.id, "refused outbound HTTP request");
        Err(ErrorCode::HttpRequestDenied.into())
    }
}

impl variables::Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        if crate::manifest::check_variable_name(&name).is_err() {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        Ok(match self.component.variables.get(&name) {
            Some(value) => Ok(value.clone()),
            None => Err(variables::Error::Undefined(format!(
                "no variable {name} for component {}",
                self.component.id
            ))),
        })
    }
}
