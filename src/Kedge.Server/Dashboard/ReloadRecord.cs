namespace Kedge.Server.Dashboard;

/// <summary>
/// One configuration change kedge applied or rejected: when, where it came from (<c>file</c>, <c>discovered</c>,
/// <c>code</c>), and for a rejection every error line (each names its file and JSON path).
/// </summary>
internal sealed record ReloadRecord(DateTimeOffset At, string Source, bool Applied, string Detail, IReadOnlyList<string> Errors);
