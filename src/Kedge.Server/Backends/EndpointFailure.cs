namespace Kedge.Server.Backends;

/// <summary>
/// The last failure of one endpoint, kept for the dashboard: when (a <see cref="TimeProvider.GetTimestamp"/> value),
/// what (the exception's type and messages, never a header or a body), and whether it ejected the endpoint and until when.
/// </summary>
internal sealed record EndpointFailure(long Timestamp, string Error, bool Ejected, long EjectedUntil)
{
    /// <summary>The exception chain in one line: each type and message, outermost first.</summary>
    public static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var ex = exception; ex is not null && parts.Count < 4; ex = ex.InnerException)
        {
            parts.Add($"{ex.GetType().Name}: {ex.Message}");
        }

        return string.Join(" <- ", parts);
    }
}
