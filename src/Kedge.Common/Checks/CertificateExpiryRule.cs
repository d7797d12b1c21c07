using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.Common.Checks;

/// <summary>
/// The one certificate-expiry rule of <c>kedge check</c>, <c>winch check</c> and kedge's dashboard: ✘ expired or not yet
/// valid, ⚠ under 14 days, and one way to say how long.
/// </summary>
internal static class CertificateExpiryRule
{
    /// <summary>A certificate that expires sooner than this is a ⚠ line (a problem on the dashboard).</summary>
    public static readonly TimeSpan WarnWithin = TimeSpan.FromDays(14);

    /// <summary>The words for <see cref="WarnWithin"/> in a line.</summary>
    public const string WarnWithinText = "under 14 days";

    public static CertificateExpiryState Classify(X509Certificate2 certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return now < NotBefore(certificate) ? CertificateExpiryState.NotYetValid
            : now >= NotAfter(certificate) ? CertificateExpiryState.Expired
            : NotAfter(certificate) - now < WarnWithin ? CertificateExpiryState.ExpiresSoon
            : CertificateExpiryState.Valid;
    }

    public static DateTimeOffset NotBefore(X509Certificate2 certificate) => new(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    public static DateTimeOffset NotAfter(X509Certificate2 certificate) => new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>A time as lines show it: <c>2026-12-03 18:00 UTC</c>.</summary>
    public static string Date(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A span rounded down: whole days from 2 days, whole hours from 2 hours, else minutes (at least 1).</summary>
    public static string Span(TimeSpan span)
        => span.TotalDays >= 2 ? $"{Math.Floor(span.TotalDays).ToString(CultureInfo.InvariantCulture)} days"
            : span.TotalHours >= 2 ? $"{Math.Floor(span.TotalHours).ToString(CultureInfo.InvariantCulture)} hours"
            : $"{Math.Max(1, Math.Floor(span.TotalMinutes)).ToString(CultureInfo.InvariantCulture)} minutes";
}
