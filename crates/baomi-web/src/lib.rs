//! baomi-web: the reviewer's side of baomi.
//!
//! - [`review`]: the staged review path (部门申请 → 工作部审核 → 保密委审查
//!   → 办理存档), decisions and waivers as pure functions over ledger
//!   entries, shared by `baomi review` and the server.
//! - [`store`]: that logic over a real ledger: the queue, one document's
//!   detail, signing decisions and waivers after checking them.
//! - [`context`]: findings in their original context (re-reading the file
//!   when its SHA-256 still matches; the ledger holds no document text).
//! - [`server`]: `baomi serve`: the local web UI and the `/api/v1` scan API.

pub mod context;
pub mod enrol;
mod html;
pub mod review;
pub mod server;
pub mod store;
pub mod view;

pub use html::Me;
pub use server::{api_routes, router, run, serve, ServerConfig, DEFAULT_MAX_BODY, OPENAPI};
pub use store::{load_trust, DecisionInput, ListFilter, OpenMode, Store, StoreError};
