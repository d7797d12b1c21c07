using Kedge.Common.Checks;

namespace Kedge.Server.Checks;

/// <summary><c>kedge check</c>: the listener's certificate and key, the client CA bundle, the backends' TLS files.</summary>
internal static class CertificateChecks
{
    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return [];
    }
}
