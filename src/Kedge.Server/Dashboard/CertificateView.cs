namespace Kedge.Server.Dashboard;

/// <summary>
/// A certificate kedge serves (<c>server</c>) or trusts (<c>client_ca</c>): subject, names, expiry, and a problem when it
/// expires within <see cref="Kedge.Common.Checks.CertificateExpiryRule.WarnWithin"/> or has expired. Never key material.
/// </summary>
internal sealed record CertificateView(string Role, string Subject, IReadOnlyList<string> Names, DateTimeOffset NotAfter, int DaysLeft, string? Problem);
