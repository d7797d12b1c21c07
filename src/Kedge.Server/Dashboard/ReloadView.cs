namespace Kedge.Server.Dashboard;

/// <summary>One configuration change: <c>applied</c> or <c>rejected</c>, its source, and the errors of a rejection.</summary>
internal sealed record ReloadView(DateTimeOffset At, string Source, string Result, string Detail, IReadOnlyList<string> Errors)
{
    public static ReloadView? From(ReloadRecord? record) => record is null
        ? null
        : new ReloadView(record.At, record.Source, record.Applied ? "applied" : "rejected", record.Detail, record.Errors);
}
