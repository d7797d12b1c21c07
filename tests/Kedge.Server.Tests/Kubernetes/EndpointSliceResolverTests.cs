using k8s;
using Kedge.Server.Kubernetes;
using Kedge.Testing;

namespace Kedge.Server.Tests.Kubernetes;

public sealed class EndpointSliceResolverTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private KubernetesTestContext _k8s = null!;

    public async Task InitializeAsync() => _k8s = await KubernetesTestContext.StartAsync(_logs);

    public async Task DisposeAsync()
    {
        await _k8s.DisposeAsync();
        _logs.Dispose();
    }

    private static (string, bool?, bool?) Ready(string address) => (address, true, false);

    [Fact]
    public async Task Resolve_NamedPortAcrossSlices_EveryReadyEndpoint()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080), ("grpc", 9090)], [Ready("10.0.0.1"), Ready("10.0.0.2")]));
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-b", [("http", 8080), ("grpc", 9090)], [Ready("10.0.0.3")]));
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "other", "other-a", [("http", 8080)], [Ready("10.9.9.9")]));

        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop.svc.cluster.local:grpc");
        await using var _ = resolver;

        Assert.Equal(["10.0.0.1:9090", "10.0.0.2:9090", "10.0.0.3:9090"], await changes.NextAsync());
    }

    [Fact]
    public void Resolve_Ipv6AndDuplicateAddressesAcrossSlices_BracketedAndOnce()
    {
        var slices = new[]
        {
            KubernetesApiServer.Slice("shop", "orders", "v6", [("http", 8080)], [("fd00::1", true, false), ("10.0.0.1", true, false)]),
            KubernetesApiServer.Slice("shop", "orders", "v4", [("http", 8080)], [("10.0.0.1", true, false)]),
        };

        var endpoints = EndpointSliceResolver.Resolve(slices, K8sTarget.Parse("orders.shop:http"), out var problem);

        Assert.Null(problem);
        Assert.Equal(["10.0.0.1:8080", "[fd00::1]:8080"], endpoints.Select(e => e.Authority));
    }

    [Fact]
    public async Task Resolve_DualStackAndFqdnSlices_OneEndpointPerPodAddress()
    {
        var v6 = KubernetesApiServer.Slice("shop", "orders", "orders-v6", [("http", 8080)], [Ready("fd00::1")]);
        v6.AddressType = "IPv6";
        var fqdn = KubernetesApiServer.Slice("shop", "orders", "orders-fqdn", [("http", 8080)], [Ready("orders.example.com")]);
        fqdn.AddressType = "FQDN";
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-v4", [("http", 8080)], [Ready("10.0.0.1")]));
        _k8s.Api.Apply(v6);
        _k8s.Api.Apply(fqdn);

        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;

        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());
    }

    [Fact]
    public async Task Resolve_NumericPort_MustBeAPortOfTheSlice()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));

        var (good, goodChanges) = await _k8s.ResolveAsync("orders.shop:8080", "good");
        var (bad, badChanges) = await _k8s.ResolveAsync("orders.shop:8081", "bad");
        await using var g = good;
        await using var b = bad;

        Assert.Equal(["10.0.0.1:8080"], await goodChanges.NextAsync());
        Assert.Empty(await badChanges.NextAsync());
        Assert.Contains(_logs.WithEventName("KubernetesPortNotResolved"), e => e.Message.Contains("no port 8081", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resolve_NoPortGiven_OnlyPortUsedOrAmbiguityReported()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "single", "single-a", [("", 7070)], [Ready("10.0.0.1")]));
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "multi", "multi-a", [("a", 1), ("b", 2)], [Ready("10.0.0.2")]));

        var (single, singleChanges) = await _k8s.ResolveAsync("single.shop", "single");
        var (multi, multiChanges) = await _k8s.ResolveAsync("multi.shop", "multi");
        await using var s = single;
        await using var m = multi;

        Assert.Equal(["10.0.0.1:7070"], await singleChanges.NextAsync());
        Assert.Empty(await multiChanges.NextAsync());
        Assert.Contains(_logs.WithEventName("KubernetesPortNotResolved"), e => e.Message.Contains("we got [1 2] ports and target port is not specified. Don't know what to choose", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_ReadyAndTerminatingTransitions_OnlyReadyNonTerminatingRouted()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1"), ("10.0.0.2", false, false)]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());

        // The second pod becomes ready; the first starts terminating (still ready while it drains).
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [("10.0.0.1", true, true), Ready("10.0.0.2")]));
        Assert.Equal(["10.0.0.2:8080"], await changes.NextAsync());

        // A ready condition that is absent means ready.
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [("10.0.0.2", null, null), ("10.0.0.3", null, null)]));
        Assert.Equal(["10.0.0.2:8080", "10.0.0.3:8080"], await changes.NextAsync());

        _k8s.Api.DeleteEndpointSlice("shop", "orders-a");
        Assert.Empty(await changes.NextAsync());
    }

    [Fact]
    public async Task Watch_SliceAddedThenDeletedThenAdded_Followed()
    {
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Empty(await changes.NextAsync());

        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());
        _k8s.Api.DeleteEndpointSlice("shop", "orders-a");
        Assert.Empty(await changes.NextAsync());
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.4")]));
        Assert.Equal(["10.0.0.4:8080"], await changes.NextAsync());
    }

    [Fact]
    public async Task Watch_StreamEnds_ResumedFromLastVersionWithoutRelisting()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());
        var version = _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.2")]));
        Assert.Equal(["10.0.0.2:8080"], await changes.NextAsync());
        _k8s.Api.SendBookmarks();

        _k8s.Api.CloseWatches();
        await WaitUntilAsync(() => _k8s.Api.Requests.Count(r => r.Contains("watch=true", StringComparison.Ordinal)) >= 2);
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.3")]));

        Assert.Equal(["10.0.0.3:8080"], await changes.NextAsync());
        var watches = _k8s.Api.Requests.Where(r => r.Contains("watch=true", StringComparison.Ordinal)).ToList();
        Assert.Contains("allowWatchBookmarks=true", watches[0], StringComparison.Ordinal);
        Assert.True(long.Parse(QueryValue(watches[1], "resourceVersion"), System.Globalization.CultureInfo.InvariantCulture) >= long.Parse(version, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Single(_k8s.Api.Requests, r => !r.Contains("watch=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_ServerEndsWatchAtTimeoutSeconds_ResumedWithoutRelisting()
    {
        _k8s.Options.WatchTimeout = TimeSpan.FromSeconds(1);
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());

        await WaitUntilAsync(() => _k8s.Api.Requests.Count(r => r.Contains("timeoutSeconds=1", StringComparison.Ordinal)) >= 3);
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.2")]));

        Assert.Equal(["10.0.0.2:8080"], await changes.NextAsync());
        Assert.Single(_k8s.Api.Requests, r => !r.Contains("watch=true", StringComparison.Ordinal));

        // A quiet watch that the server ends is not a failure (KubernetesClient reports it as an end-of-stream error).
        Assert.Empty(_logs.WithEventName("KubernetesWatchFailed"));
    }

    [Fact]
    public async Task Watch_ResourceVersionExpired_RelistsAndCatchesUp()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());
        await WaitUntilAsync(() => _k8s.Api.ActiveWatches == 1);

        // Changes the watch never delivers, then 410 Gone on the open watch and compaction for any resume.
        _k8s.Api.CloseWatches();
        _k8s.Api.Compact();
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-b", [("http", 8080)], [Ready("10.0.0.5")]));
        _k8s.Api.Compact();

        Assert.Equal(["10.0.0.1:8080", "10.0.0.5:8080"], await changes.WaitForAsync(e => e.Length == 2));
        Assert.Equal(2, _k8s.Api.Requests.Count(r => !r.Contains("watch=true", StringComparison.Ordinal)));
        Assert.Contains(_logs.WithEventName("KubernetesWatchExpired"), _ => true);
    }

    [Fact]
    public async Task Watch_GoneErrorEventOnOpenWatch_Relists()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());
        await WaitUntilAsync(() => _k8s.Api.ActiveWatches == 1);

        _k8s.Api.ExpireWatches();

        await WaitUntilAsync(() => _k8s.Api.Requests.Count(r => !r.Contains("watch=true", StringComparison.Ordinal)) == 2);
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.7")]));
        Assert.Equal(["10.0.0.7:8080"], await changes.NextAsync());
    }

    [Fact]
    public async Task Watch_EventCannotBeDecoded_RelistsSoTheChangeIsNotLost()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());
        await WaitUntilAsync(() => _k8s.Api.ActiveWatches == 1);

        // orders-b arrives as garbage; a later change to orders-a arrives intact (and would move the version past it).
        _k8s.Api.CorruptNextEvent = true;
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-b", [("http", 8080)], [Ready("10.0.0.5")]));
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.2")]));

        // Whether the client reports the bad line through its error callback (kedge lists again) or fails the stream
        // (kedge resumes from the last event it applied), orders-b must not be lost.
        Assert.Equal(["10.0.0.2:8080", "10.0.0.5:8080"], await changes.WaitForAsync(e => e.SequenceEqual(["10.0.0.2:8080", "10.0.0.5:8080"])));
        _logs.ExpectErrors(_ => true);
    }

    [Fact]
    public async Task Watch_ApiDownForAWhile_EndpointsKeptThenRecovers()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());

        await _k8s.Api.GoDownAsync();
        await WaitUntilAsync(() => _logs.WithEventName("KubernetesWatchFailed").Count() >= 2);
        Assert.False(changes.TryRead(out var unexpected), $"endpoints changed while the API was down: {string.Join(",", unexpected ?? [])}");

        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1"), Ready("10.0.0.2")]));
        await _k8s.Api.ComeBackAsync();

        Assert.Equal(["10.0.0.1:8080", "10.0.0.2:8080"], await changes.NextAsync());
        Assert.Contains(_logs.WithEventName("KubernetesWatchRecovered"), _ => true);
    }

    [Fact]
    public async Task Subscribe_ManyBackendsOneNamespace_OneSharedWatch()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080), ("grpc", 9090)], [Ready("10.0.0.1")]));
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "cart", "cart-a", [("http", 8080)], [Ready("10.0.1.1")]));

        var (a, aChanges) = await _k8s.ResolveAsync("orders.shop:http", "a");
        var (b, bChanges) = await _k8s.ResolveAsync("orders.shop:grpc", "b");
        var (c, cChanges) = await _k8s.ResolveAsync("cart.shop:http", "c");
        Assert.Equal(["10.0.0.1:8080"], await aChanges.NextAsync());
        Assert.Equal(["10.0.0.1:9090"], await bChanges.NextAsync());
        Assert.Equal(["10.0.1.1:8080"], await cChanges.NextAsync());
        await WaitUntilAsync(() => _k8s.Api.ActiveWatches == 1);

        Assert.Equal(1, _k8s.Pool.WatchCount);
        Assert.Single(_k8s.Api.Requests, r => !r.Contains("watch=true", StringComparison.Ordinal));

        await a.DisposeAsync();
        await b.DisposeAsync();
        Assert.Equal(1, _k8s.Pool.WatchCount);
        await c.DisposeAsync();
        Assert.Equal(0, _k8s.Pool.WatchCount);
        await WaitUntilAsync(() => _k8s.Api.ActiveWatches == 0);
    }

    [Fact]
    public async Task Client_TokenFileRotates_NewTokenUsed()
    {
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var (resolver, changes) = await _k8s.ResolveAsync("orders.shop:http");
        await using var _ = resolver;
        Assert.Equal(["10.0.0.1:8080"], await changes.NextAsync());

        await File.WriteAllTextAsync(_k8s.Options.TokenFile!, "token-2\n");
        _k8s.Api.RequiredToken = "token-2";
        _k8s.Api.CloseWatches();
        await WaitUntilAsync(() => _k8s.Api.ActiveWatches == 1);
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.9")]));

        Assert.Equal(["10.0.0.9:8080"], await changes.NextAsync());
    }

    [Fact]
    public async Task Client_HttpsWithCaFile_Verified()
    {
        using var ca = TestCertificateAuthority.Create();
        await using var api = await KubernetesApiServer.StartAsync(ca.IssueServerCertificate());
        api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        var caFile = ca.WriteCaPem(_k8s.Dir.Path, "api-ca.crt");
        using var connection = new KubernetesConnection(new KubernetesOptions { ApiUrl = api.Url, CaFile = caFile, TokenFile = _k8s.Options.TokenFile });
        await using var pool = new EndpointSliceWatchPool(connection, _k8s.Metrics, TimeProvider.System, _logs);
        var seen = new TaskCompletionSource<string[]>();
        await using var resolver = new EndpointSliceResolver("b", K8sTarget.Parse("orders.shop:http"), pool, _k8s.Metrics, TimeProvider.System, _logs.CreateLogger("r"));

        await resolver.StartAsync(e => seen.TrySetResult([.. e.Select(x => x.Authority)]), CancellationToken.None);

        Assert.Equal(["10.0.0.1:8080"], await seen.Task.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void Client_NoClusterAccess_ErrorNamesTheSettings()
    {
        Assert.Null(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"));
        using var connection = new KubernetesConnection(new KubernetesOptions());

        var ex = Assert.Throws<KubernetesAccessException>(() => connection.Client);

        Assert.Contains("no cluster access found", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--k8sclient_kubeapi_url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Kedge:Kubernetes:KubeconfigPath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_Kubeconfig_UserAndContextUsed()
    {
        var kubeconfig = _k8s.Dir.Combine("kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            current-context: other
            clusters:
            - name: fake
              cluster:
                server: {_k8s.Api.Url}
            users:
            - name: wrong
              user:
                token: nope
            - name: kedge
              user:
                token: token-1
            contexts:
            - name: other
              context:
                cluster: fake
                user: wrong
            """);
        _k8s.Api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [Ready("10.0.0.1")]));
        using var connection = new KubernetesConnection(new KubernetesOptions { KubeconfigPath = kubeconfig, KubeconfigUser = "kedge" });

        var list = await connection.Client.DiscoveryV1.ListNamespacedEndpointSliceAsync("shop");

        Assert.Single(list.Items);
        using var missing = new KubernetesConnection(new KubernetesOptions { KubeconfigPath = kubeconfig, KubeconfigUser = "nobody" });
        Assert.Equal($"Failed to find user nobody inside k8s config AuthInfo from file {kubeconfig}", Assert.Throws<KubernetesAccessException>(() => missing.Client).Message);
    }

    private static string QueryValue(string request, string key)
    {
        var query = request[(request.IndexOf('?', StringComparison.Ordinal) + 1)..];
        return query.Split('&').Select(p => p.Split('=')).First(p => p[0] == key)[1];
    }

    private static async Task WaitUntilAsync(Func<bool> condition, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
