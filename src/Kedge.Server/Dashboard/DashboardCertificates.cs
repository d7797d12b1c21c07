using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace Kedge.Server.Dashboard;

/// <summary>
/// The certificates kedge serves and trusts, as the dashboard reads them: the same live sources the TLS listeners use
/// (they follow file reloads), registered where the listeners are built, so no file is read twice.
/// </summary>
internal sealed class DashboardCertificates
{
    private readonly ConcurrentDictionary<string, Func<IEnumerable<X509Certificate2>>> _sources = new(StringComparer.Ordinal);

    public void Track(string role, Func<IEnumerable<X509Certificate2>> current) => _sources[role] = current;

    public IEnumerable<(string Role, X509Certificate2 Certificate)> Current()
        => _sources.OrderBy(s => s.Key, StringComparer.Ordinal).SelectMany(s => s.Value().Select(c => (s.Key, c)));
}
