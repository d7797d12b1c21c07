using System.Net;
using System.Net.Sockets;
using DnsClient;
using Kedge.Testing;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// A host resolver that asks a <see cref="TestDnsServer"/> over loopback (never the system resolver) and fails as the
/// system resolver does: NXDOMAIN is a <see cref="SocketException"/> with <see cref="SocketError.HostNotFound"/>.
/// </summary>
public static class TestDnsResolver
{
    public static Func<string, CancellationToken, Task<IPAddress[]>> For(TestDnsServer server)
    {
        var client = new LookupClient(new LookupClientOptions(server.EndPoint) { UseCache = false, UseTcpFallback = false, Retries = 0, Timeout = TimeSpan.FromSeconds(5) });
        return async (host, cancellationToken) =>
        {
            var response = await client.QueryAsync(host, QueryType.A, QueryClass.IN, cancellationToken);
            if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            return [.. response.Answers.ARecords().Select(a => a.Address)];
        };
    }
}
