namespace Kedge.Winch.Auth;

/// <summary>A started device login (RFC 8628): what the user enters where, and how often and how long to poll.</summary>
internal sealed record OidcDeviceAuthorization(string DeviceCode, string UserCode, string VerificationUri, string? VerificationUriComplete, TimeSpan Interval, TimeSpan ExpiresIn);
