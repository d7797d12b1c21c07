using System.Net;
using BenchmarkDotNet.Attributes;
using Kedge.Client;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;

namespace Kedge.Benchmarks;

/// <summary>
/// The per-request cost of <see cref="Kedge.Client.Http.KedgeHttpMessageHandler"/> against a baseline handler that
/// only rewrites the URI to the kedge and restores it, both in front of the same in-memory terminal handler, measured in
/// the same run. One request object is reused by both arms (both restore it), so only the handlers are measured.
/// Target: at most 1.2x the baseline's time and at most the baseline's allocations plus 64 B.
/// </summary>
[MemoryDiagnoser]
public class KedgeHandlerBenchmarks
{
    private const string Target = "http://orders.shop.svc.us1.kedge:8080/v1/orders?id=7";

    private HttpMessageInvoker _baseline = null!;
    private HttpMessageInvoker _kedge = null!;
    private HttpMessageInvoker _kedgeWithTokens = null!;
    private HttpRequestMessage _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var terminal = new TerminalHandler();
        _baseline = new HttpMessageInvoker(new UriRewriteHandler(new Uri("https://us1.kedge.example.com")) { InnerHandler = terminal });

        var mapper = KedgeMapper.Suffix("*.kedge", ".kedge.example.com");
        _kedge = new HttpMessageInvoker(new Kedge.Client.Http.KedgeHttpMessageHandler(KedgeClient.CreateWithTransport(mapper, terminal), terminal));

        var withTokens = KedgeMapper.Suffix("*.kedge", ".kedge.example.com", proxyAuth: KedgeTokenSource.FromValue("mesh", "proxy-token"), backendAuth: KedgeTokenSource.FromValue("backend", "backend-token"));
        _kedgeWithTokens = new HttpMessageInvoker(new Kedge.Client.Http.KedgeHttpMessageHandler(KedgeClient.CreateWithTransport(withTokens, terminal), terminal));

        _request = new HttpRequestMessage(HttpMethod.Get, Target);
        _request.Headers.Accept.ParseAdd("application/json");
    }

    [Benchmark(Baseline = true)]
    public Task<HttpResponseMessage> UriRewriteOnly() => _baseline.SendAsync(_request, CancellationToken.None);

    [Benchmark]
    public Task<HttpResponseMessage> KedgeHandler() => _kedge.SendAsync(_request, CancellationToken.None);

    [Benchmark]
    public Task<HttpResponseMessage> KedgeHandlerWithTokens() => _kedgeWithTokens.SendAsync(_request, CancellationToken.None);

    /// <summary>The baseline: send to the kedge with the caller's path, restore the URI afterwards.</summary>
    private sealed class UriRewriteHandler(Uri kedge) : DelegatingHandler
    {
        private readonly string _prefix = "http://" + kedge.Host + ":" + kedge.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var original = request.RequestUri!;
            try
            {
                request.RequestUri = new Uri(_prefix + original.PathAndQuery);
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                request.RequestUri = original;
            }
        }
    }

    private sealed class TerminalHandler : HttpMessageHandler
    {
        private readonly Task<HttpResponseMessage> _response = Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => _response;
    }
}
