using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Testing.Greeter;

namespace Kedge.LoadTest;

/// <summary>gRPC unary load from .NET: a fixed number of callers on one channel for a fixed time.</summary>
internal static class GrpcLoad
{
    public static async Task<LoadResult> RunAsync(string target, Uri address, HttpMessageHandler handler, TimeSpan duration, int callers)
    {
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        var client = new Greeter.GreeterClient(channel);
        await client.SayHelloAsync(new HelloRequest { Name = "warm-up" });

        var latencies = new List<double>[callers];
        long errors = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async i =>
        {
            var mine = latencies[i] = new List<double>(100_000);
            var request = new HelloRequest { Name = "load" };
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var t = Stopwatch.GetTimestamp();
                try
                {
                    await client.SayHelloAsync(request);
                    mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(target, "gRPC unary (.NET)", all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), errors) { DurationSeconds = elapsed };
    }

    /// <summary>A TLS handler that trusts the harness's CA, with as many HTTP/2 connections as the callers need.</summary>
    public static HttpMessageHandler TlsHandler(X509Certificate2 ca) => new SocketsHttpHandler
    {
        EnableMultipleHttp2Connections = true,
        SslOptions = new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck },
        },
    };

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
