//! Onboarding and the street at a glance.

use ivej_model::ipc::{CreateStreetRequest, JoinRequest};
use ivej_model::{ApiError, ErrorCode, FieldError, Invite, Problem, StreetSummary};
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

#[tauri::command(async, rename_all = "snake_case")]
pub fn street_summary(app: AppHandle, shell: State<'_, Shell>) -> Result<StreetSummary, ApiError> {
    answer(&app, shell.node()?.summary())
}

#[tauri::command(async, rename_all = "snake_case")]
pub async fn open_demo_street(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<StreetSummary, ApiError> {
    let summary = answer(&app, shell.node()?.open_demo())?;
    shell.start_network().await;
    Ok(summary)
}

#[tauri::command(async, rename_all = "snake_case")]
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

fn invite_problem(problem: Problem) -> ApiError {
    ApiError {
        code: ErrorCode::Validation,
        message: problem.to_string(),
        fields: vec![FieldError {
            field: "code".into(),
            problem,
        }],
    }
}

/// Joins a street with an invite code: as a new member (with a profile) or as another
/// device of an organisation already in it. Answers with the summary, or with
/// `awaiting_first_sync` until a member's device has been reached.
#[tauri::command(async, rename_all = "snake_case")]
pub async fn join_street(
    app: AppHandle,
    shell: State<'_, Shell>,
    request: JoinRequest,
) -> Result<StreetSummary, ApiError> {
    let invite = Invite::from_code(&request.code).map_err(|e| invite_problem(e.problem()))?;
    let profile = if !ivej_node::invite_founds_organisation(&invite) {
        None
    } else {
        Some(request.profile.unwrap_or_default())
    };
    shell
        .node()?
        .join(&invite, profile)
        .map_err(|e| e.to_api())?;
    shell.start_network().await;
    answer(&app, shell.node()?.summary())
}

/// Reads an invite code from a photo or screenshot of its QR code (PNG or JPEG bytes).
#[tauri::command(async, rename_all = "snake_case")]
pub fn invite_from_image(bytes: Vec<u8>) -> Result<String, ApiError> {
    let code =
        ivej_node::qr::read_invite(&bytes).ok_or_else(|| invite_problem(Problem::NoQrCode))?;
    Invite::from_code(&code).map_err(|e| invite_problem(e.problem()))?;
    Ok(code)
}
