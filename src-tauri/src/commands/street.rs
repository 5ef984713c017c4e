//! Onboarding and the street at a glance.

use ivej_model::ipc::CreateStreetRequest;
use ivej_model::{ApiError, StreetSummary};
use ivej_node::{CreateStreet, OrgProfile};
use tauri::{AppHandle, Manager, State};

use crate::shell::Shell;

/// Shows the street's name in the window title, so it is seen in the task bar too.
fn title(app: &AppHandle, summary: &StreetSummary) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.set_title(&format!("{} · Industrivej", summary.street.name));
    }
}

fn answer(
    app: &AppHandle,
    result: ivej_node::NodeResult<StreetSummary>,
) -> Result<StreetSummary, ApiError> {
    let summary = result.map_err(|e| e.to_api())?;
    title(app, &summary);
    Ok(summary)
}

// Commands run off the UI thread (`async`), so the node's disk work never blocks it.

#[tauri::command(async)]
pub fn street_summary(app: AppHandle, shell: State<'_, Shell>) -> Result<StreetSummary, ApiError> {
    answer(&app, shell.node()?.summary())
}

#[tauri::command(async)]
pub async fn open_demo_street(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<StreetSummary, ApiError> {
    let summary = answer(&app, shell.node()?.open_demo())?;
    shell.start_network().await;
    Ok(summary)
}

#[tauri::command(async)]
pub async fn create_street(
    app: AppHandle,
    shell: State<'_, Shell>,
    request: CreateStreetRequest,
) -> Result<StreetSummary, ApiError> {
    let create = CreateStreet {
        name: request.street_name,
        kind: request.kind,
        region: request.region,
        languages: Vec::new(),
        org: OrgProfile {
            name: request.org_name,
            ..Default::default()
        },
    };
    let summary = answer(&app, shell.node()?.create_street(create))?;
    shell.start_network().await;
    Ok(summary)
}
