using System.Security.Cryptography.X509Certificates;
using Kedge.Common.Checks;

namespace Kedge.Winch.Checks;

/// <summary>The expiry line of a certificate: ✘ expired or not yet valid, ⚠ within <see cref="CertificateExpiryRule.WarnWithin"/>, ✔ otherwise.</summary>
internal static class CertificateExpiry
{
    /// <param name="what">The certificate as the line names it ("the client certificate CN=dev from /home/dev/tls.crt").</param>
    /// <param name="renew">What to do when it expires soon or has expired.</param>
    public static CheckResult Line(string area, string name, X509Certificate2 certificate, DateTimeOffset now, string what, string renew)
    {
        var (notBefore, notAfter) = (CertificateExpiryRule.NotBefore(certificate), CertificateExpiryRule.NotAfter(certificate));
        return CertificateExpiryRule.Classify(certificate, now) switch
        {
            CertificateExpiryState.NotYetValid => CheckResult.Fail(area, name, $"{what} is not valid before {Format(notBefore)} (the clock here says {Format(now)})", "check this machine's clock, or " + renew),
            CertificateExpiryState.Expired => CheckResult.Fail(area, name, $"{what} expired on {Format(notAfter)} ({CertificateExpiryRule.Span(now - notAfter)} ago)", renew),
            CertificateExpiryState.ExpiresSoon => CheckResult.Warn(area, name, $"{what} expires on {Format(notAfter)}, in {CertificateExpiryRule.Span(notAfter - now)}", renew),
            _ => CheckResult.Pass(area, name, $"{what} is valid until {Format(notAfter)} ({CertificateExpiryRule.Span(notAfter - now)} left)"),
        };
    }

    public static string Format(DateTimeOffset time) => CertificateExpiryRule.Date(time);

}
