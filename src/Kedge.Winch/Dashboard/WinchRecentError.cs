namespace Kedge.Winch.Dashboard;

/// <summary>One failed request as the dashboard lists it: no header values, no tokens.</summary>
/// <param name="Time">When winch answered it.</param>
/// <param name="Target">The target's <c>host[:port]</c>.</param>
/// <param name="Type">winch's <c>X-Winch-Error-Type</c>, kedge's <c>X-Kedge-Error-Type</c>, or a gRPC status.</param>
/// <param name="Message">What went wrong.</param>
internal sealed record WinchRecentError(DateTimeOffset Time, string Target, string Type, string Message);
