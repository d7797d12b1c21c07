namespace Kedge.Winch.Tunnels;

/// <summary>
/// Why a tunnel was not opened, as the caller of a CONNECT sees it: a status and either winch's error headers
/// (<see cref="WinchErrorType"/>) or, when kedge refused, kedge's (<see cref="KedgeErrorType"/>, passed on unchanged).
/// </summary>
/// <param name="StatusCode">The HTTP status answered to a CONNECT.</param>
/// <param name="Message">What failed and what to do; one line.</param>
/// <param name="WinchErrorType">winch's <c>X-Winch-Error-Type</c>, or <see langword="null"/> when kedge refused.</param>
/// <param name="KedgeErrorType">kedge's <c>X-Kedge-Error-Type</c> when kedge refused (possibly empty), else <see langword="null"/>.</param>
/// <param name="IsCallerCaused">
/// Whether the caller's destination is the cause (unmapped, IP address, a kedge refusal for the caller): logged at
/// Debug only, so a caller in a loop cannot flood the log.
/// </param>
internal sealed record WinchTunnelRefusal(int StatusCode, string Message, string? WinchErrorType, string? KedgeErrorType, bool IsCallerCaused);
