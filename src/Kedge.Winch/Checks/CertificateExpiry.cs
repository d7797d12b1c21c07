using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Kedge.Common.Checks;

namespace Kedge.Winch.Checks;

/// <summary>The expiry line of a certificate: ✘ expired or not yet valid, ⚠ under 14 days, ✔ otherwise.</summary>
internal static class CertificateExpiry
{
    public static readonly TimeSpan WarnWithin = TimeSpan.FromDays(14);

    /// <param name="what">The certificate as the line names it ("the client certificate CN=dev from /home/dev/tls.crt").</param>
    /// <param name="renew">What to do when it expires soon or has expired.</param>
    public static CheckResult Line(string area, string name, X509Certificate2 certificate, DateTimeOffset now, string what, string renew)
    {
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        if (now < notBefore)
        {
            return CheckResult.Fail(area, name, $"{what} is not valid before {Format(notBefore)} (the clock here says {Format(now)})", "check this machine's clock, or " + renew);
        }

        if (now >= notAfter)
        {
            return CheckResult.Fail(area, name, $"{what} expired on {Format(notAfter)} ({Days(now - notAfter)} ago)", renew);
        }

        var left = notAfter - now;
        return left < WarnWithin
            ? CheckResult.Warn(area, name, $"{what} expires on {Format(notAfter)}, in {Days(left)}", renew)
            : CheckResult.Pass(area, name, $"{what} is valid until {Format(notAfter)} ({Days(left)} left)");
    }

    public static string Format(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Days(TimeSpan span)
        => span.TotalDays >= 2 ? $"{Math.Floor(span.TotalDays).ToString(CultureInfo.InvariantCulture)} days"
            : span.TotalHours >= 2 ? $"{Math.Floor(span.TotalHours).ToString(CultureInfo.InvariantCulture)} hours"
            : $"{Math.Max(1, Math.Floor(span.TotalMinutes)).ToString(CultureInfo.InvariantCulture)} minutes";
}
