namespace Kedge.Server.Dashboard;

/// <summary>The configuration changes kedge applied or rejected (newest first), the last good one and the last error.</summary>
internal sealed record ReloadsView(IReadOnlyList<ReloadView> History, ReloadView? LastGood, ReloadView? LastError);
