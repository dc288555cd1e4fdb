//! Per-request store data: WASI, wasi:http and the Spin interfaces of one component instance.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
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
    /// `key_value_stores`: the store labels it may open.
    pub key_value_stores: Arc<HashSet<String>>,
}

pub struct HostState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub component: Arc<ComponentContext>,
    pub pools: SharedPools,
    /// The key-value stores this instance may open and has open (`crate::kv`).
    pub kv: crate::kv::InstanceStores,
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

    /// Spin's outbound HTTP (`crate::outbound_http`): the request runs in its own task; a
    /// host outside `allowed_outbound_hosts` is refused there, with the error the guest then
    /// gets from the response future.
    fn send_request(
        &mut self,
        request: hyper::Request<HyperOutgoingBody>,
        config: OutgoingRequestConfig,
    ) -> HttpResult<HostFutureIncomingResponse> {
        let component = self.component.clone();
        Ok(HostFutureIncomingResponse::pending(
            wasmtime_wasi::runtime::spawn(async move {
                Ok(crate::outbound_http::send(
                    &component.id,
                    &component.allowed_hosts,
                    request,
                    config,
                )
                .await)
            }),
        ))
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
