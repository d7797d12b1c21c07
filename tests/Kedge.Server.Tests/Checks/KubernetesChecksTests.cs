using k8s.Models;
using Kedge.Common.Checks;
using Kedge.Server.Configuration;
using Kedge.Server.Kubernetes;
using Kedge.Testing;

namespace Kedge.Server.Tests.Checks;

public sealed class KubernetesChecksTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private KubernetesApiServer _api = null!;
    private LoopbackServer _backend = null!;
    private string _tokenFile = null!;

    public async Task InitializeAsync()
    {
        _api = await KubernetesApiServer.StartAsync();
        _api.RequiredToken = "token-1";
        _tokenFile = _dir.Combine("token");
        await File.WriteAllTextAsync(_tokenFile, "token-1\n");
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions());
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _api.DisposeAsync();
        _dir.Dispose();
    }

    private static (string, bool?, bool?) Ready(string address) => (address, true, false);

    private Kedge.Server.Checks.KedgeCheckContext Context(KedgeServerOptions? routing, bool discovery = false)
        => CheckContexts.For(routing, settings =>
        {
            settings.Kubernetes.ApiUrl = _api.Url;
            settings.Kubernetes.TokenFile = _tokenFile;
            if (discovery)
            {
                settings.Discovery.Enabled = true;
                settings.Discovery.ExternalDomainSuffix = "ext.example.com";
            }
        });

    private static KedgeServerOptions OrdersOnK8s() => new() { HttpBackends = [new BackendOptions { Name = "orders", K8s = new K8sResolverOptions { DnsPortName = "orders.shop:http" } }] };

    private static V1Service Exposed(string ns, string name, DateTime created, params (string? Name, int Port, string? TargetPort)[] ports)
    {
        var service = KubernetesApiServer.Service(ns, name, new Dictionary<string, string> { ["kedge.com/kedge-exposed"] = "true" }, null, ports);
        service.Metadata.CreationTimestamp = created;
        return service;
    }

    [Fact]
    public async Task Backends_EndpointSlicesWithReadyEndpoint_PassAndProbeIt()
    {
        _api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", _backend.Port)], [Ready("127.0.0.1"), ("127.0.0.9", false, false)]));

        var report = await CheckContexts.RunBackendsAsync(Context(OrdersOnK8s()));

        Assert.True(report.ExitCode == CheckReport.ExitAllPassed, report.ToTable());
        Assert.Equal($"k8s orders.shop:http: 1 ready address (127.0.0.1:{_backend.Port}) in 1 EndpointSlice", report.Line("backend 'orders'").Found);
        Assert.Equal(CheckStatus.Pass, report.Line("backend 'orders' endpoints").Status);
    }

    [Fact]
    public async Task Backends_EndpointSliceListForbidden_FailNamesResourceVerbsNamespaceAndIdentity()
    {
        _api.Forbidden[("endpointslices", "list")] = true;

        var report = await CheckContexts.RunBackendsAsync(Context(OrdersOnK8s()));

        var line = report.Line("backend 'orders'");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.StartsWith("k8s orders.shop:http: 403 Forbidden: system:serviceaccount:kedge:kedge may not list endpointslices.discovery.k8s.io in namespace 'shop' (API server: endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:kedge:kedge\" cannot list resource", line.Found, StringComparison.Ordinal);
        Assert.Equal(
            "grant system:serviceaccount:kedge:kedge list and watch on endpointslices.discovery.k8s.io in namespace 'shop': a Role in namespace 'shop' (or a ClusterRole) with the rule "
            + "{apiGroups: [\"discovery.k8s.io\"], resources: [\"endpointslices\"], verbs: [\"list\", \"watch\"]} and a RoleBinding in 'shop' to that identity (deploy/kubernetes/20-rbac.yaml has kedge's rules)",
            line.Fix);
        Assert.Equal(CheckReport.ExitFailed, report.ExitCode);
    }

    [Fact]
    public async Task Backends_EndpointSliceWatchForbidden_FailSaysWatch()
    {
        _api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", _backend.Port)], [Ready("127.0.0.1")]));
        _api.Forbidden[("endpointslices", "watch")] = true;

        var report = await CheckContexts.RunBackendsAsync(Context(OrdersOnK8s()));

        var line = report.Line("backend 'orders'");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Equal($"k8s orders.shop:http: the identity of the token in '{_tokenFile}' may not watch endpointslices.discovery.k8s.io in namespace 'shop' (SelfSubjectAccessReview: denied)", line.Found);
        Assert.Contains("list and watch on endpointslices.discovery.k8s.io", line.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backends_ServiceWithoutReadyEndpointsOrWithoutSlices_Fail()
    {
        _api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-a", [("http", 8080)], [("10.0.0.1", false, false), ("10.0.0.2", true, true)]));
        var routing = OrdersOnK8s();
        routing.HttpBackends.Add(new BackendOptions { Name = "missing", K8s = new K8sResolverOptions { DnsPortName = "missing.shop:http" } });

        var report = await CheckContexts.RunBackendsAsync(Context(routing));

        var notReady = report.Line("backend 'orders'");
        Assert.Equal((CheckStatus.Fail, "k8s orders.shop:http: Service shop/orders has no ready endpoints (2 endpoints in 1 EndpointSlice, none ready)"), (notReady.Status, notReady.Found));
        Assert.Equal("check the Service's pods are running and ready: kubectl get pods -n shop, kubectl get endpointslices -n shop -l kubernetes.io/service-name=orders", notReady.Fix);
        var missing = report.Line("backend 'missing'");
        Assert.Equal((CheckStatus.Fail, "k8s missing.shop:http: Service shop/missing has no EndpointSlices: it does not exist, or it has no selector"), (missing.Status, missing.Found));
        Assert.StartsWith("create the Service 'missing' in namespace 'shop' (or fix K8s.DnsPortName of backend 'missing' in kedge.json)", missing.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterAccess_ApiAnswersWithKedgesToken_Pass()
    {
        var report = await CheckContexts.RunKubernetesAsync(Context(OrdersOnK8s()));

        var line = report.Line("cluster access");
        Assert.Equal(CheckStatus.Pass, line.Status);
        Assert.Contains("answers (Kubernetes v1.30.0-kedge-test)", line.Found, StringComparison.Ordinal);
        Assert.Contains($"the token in '{_tokenFile}'", line.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterAccess_TokenRefused_FailSaysRenewTheToken()
    {
        await File.WriteAllTextAsync(_tokenFile, "stale\n");

        var report = await CheckContexts.RunKubernetesAsync(Context(OrdersOnK8s()));

        var line = report.Line("cluster access");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Equal($"401 Unauthorized: the API server {_api.Url} does not accept kedge's credentials (the identity of the token in '{_tokenFile}')", line.Found);
        Assert.StartsWith("renew the token (--k8sclient_token_file", line.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterAccess_NoClusterConfigured_FailWithTheSettingToSet()
    {
        var context = CheckContexts.For(OrdersOnK8s(), settings => settings.Kubernetes.KubeconfigPath = _dir.Combine("missing-kubeconfig"));

        var report = await CheckContexts.RunKubernetesAsync(context);

        var line = report.Line("cluster access");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Equal($"Kubernetes: the kubeconfig '{_dir.Combine("missing-kubeconfig")}' does not exist", line.Found);
        Assert.StartsWith("set --k8sclient_kubeconfig_path (Kedge:Kubernetes:KubeconfigPath)", line.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_ConfigurationAreaAlreadyReportsNoClusterAccess_NoLines()
    {
        var context = Context(OrdersOnK8s()) with { KubernetesAccessErrors = ["Kubernetes: no cluster access found; set --k8sclient_kubeapi_url"] };

        var report = await CheckContexts.RunKubernetesAsync(context);

        Assert.Empty(report.Results);
    }

    [Fact]
    public async Task For_NoKubernetesBackendAndDiscoveryOff_NoLines()
    {
        var report = await CheckContexts.RunKubernetesAsync(Context(new KedgeServerOptions { HttpBackends = [new BackendOptions { Name = "web", Static = new() { Addresses = ["127.0.0.1:1"] } }] }));

        Assert.Empty(report.Results);
    }

    [Fact]
    public async Task Discovery_LabelledServices_PassWithCounts()
    {
        _api.Apply(Exposed("shop", "orders", DateTime.UnixEpoch, ("http", 80, "8080"), ("grpc", 81, "8081")));
        _api.Apply(Exposed("billing", "invoices", DateTime.UnixEpoch, ("http", 80, "8080")));
        _api.Apply(KubernetesApiServer.Service("shop", "hidden", null, null, ("http", 80, "8080")));

        var report = await CheckContexts.RunKubernetesAsync(Context(new KedgeServerOptions(), discovery: true));

        Assert.True(report.ExitCode == CheckReport.ExitAllPassed, report.ToTable());
        Assert.Equal("2 labelled Services in 2 namespaces: 2 HTTP and 1 gRPC routes", report.Line("discovery").Found);
    }

    [Fact]
    public async Task Discovery_NoLabelledService_Warn()
    {
        var report = await CheckContexts.RunKubernetesAsync(Context(new KedgeServerOptions(), discovery: true));

        var line = report.Line("discovery");
        Assert.Equal((CheckStatus.Warn, "no Service labelled kedge.com/kedge-exposed in any namespace: discovery generates no routes"), (line.Status, line.Found));
        Assert.StartsWith("label the Services to expose: kubectl label service <name> -n <namespace> kedge.com/kedge-exposed=true", line.Fix, StringComparison.Ordinal);
        Assert.Equal(CheckReport.ExitWarnings, report.ExitCode);
    }

    [Fact]
    public async Task Discovery_ServiceListForbidden_FailWithClusterRoleRule()
    {
        _api.Forbidden[("services", "list")] = true;

        var report = await CheckContexts.RunKubernetesAsync(Context(new KedgeServerOptions(), discovery: true));

        var line = report.Line("discovery");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.StartsWith("labelled Services (kedge.com/kedge-exposed): 403 Forbidden: system:serviceaccount:kedge:kedge may not list services in all namespaces", line.Found, StringComparison.Ordinal);
        Assert.Equal(
            "grant system:serviceaccount:kedge:kedge list and watch on services in all namespaces: a ClusterRole with the rule {apiGroups: [\"\"], resources: [\"services\"], verbs: [\"list\", \"watch\"]} and a ClusterRoleBinding to that identity (deploy/kubernetes/20-rbac.yaml has kedge's rules)",
            line.Fix);
    }

    [Fact]
    public async Task Discovery_TwoServicesGenerateTheSameBackendName_FailNamesBoth()
    {
        // "a-b" in "c" and "a" in "b-c" both generate the backend name a_b_c_8080; kedge keeps the older.
        _api.Apply(Exposed("c", "a-b", DateTime.UnixEpoch.AddDays(1), ("http", 80, "8080")));
        _api.Apply(Exposed("b-c", "a", DateTime.UnixEpoch.AddDays(2), ("http", 80, "8080")));

        var report = await CheckContexts.RunKubernetesAsync(Context(new KedgeServerOptions(), discovery: true));

        var line = report.Line("discovery b-c/a");
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Equal("Services c/a-b and b-c/a both generate the backend name 'a_b_c_8080'; kedge keeps c/a-b (the older) and b-c/a gets no route for it", line.Found);
        Assert.Equal("rename one of the two Services (or its port), or give b-c/a its own host with the annotation kedge.com/host-matcher", line.Fix);
        Assert.Equal(CheckReport.ExitFailed, report.ExitCode);
    }

    [Fact]
    public async Task Discovery_TwoServicesClaimTheSameHostOrOneTheStaticConfigurationsHost_FailNamesBoth()
    {
        var annotated = Exposed("shop", "orders-v2", DateTime.UnixEpoch.AddDays(2), ("http", 80, "8080"));
        annotated.Metadata.Annotations = new Dictionary<string, string> { ["kedge.com/host-matcher"] = "orders.example.com" };
        var older = Exposed("shop", "orders", DateTime.UnixEpoch.AddDays(1), ("http", 80, "8080"));
        older.Metadata.Annotations = new Dictionary<string, string> { ["kedge.com/host-matcher"] = "orders.example.com" };
        _api.Apply(older);
        _api.Apply(annotated);
        _api.Apply(Exposed("billing", "invoices", DateTime.UnixEpoch, ("http", 80, "8080")));
        var routing = new KedgeServerOptions
        {
            HttpRoutes = [new HttpRouteOptions { Backend = "web", Host = "invoices.billing.svc.ext.example.com", Port = 80 }],
            HttpBackends = [new BackendOptions { Name = "web", Static = new() { Addresses = ["127.0.0.1:1"] } }],
        };

        var report = await CheckContexts.RunKubernetesAsync(Context(routing, discovery: true));

        var twice = report.Line("discovery shop/orders-v2");
        Assert.Equal("Services shop/orders and shop/orders-v2 both generate the HTTP host orders.example.com port 80; kedge keeps shop/orders (the older) and shop/orders-v2 gets no route for it", twice.Found);
        Assert.Equal("rename one of the two Services (or its port), or give shop/orders-v2 its own host with the annotation kedge.com/host-matcher", twice.Fix);
        var taken = report.Line("discovery billing/invoices");
        Assert.Equal("Service billing/invoices generates the HTTP host invoices.billing.svc.ext.example.com port 80, which the static configuration (kedge.json) already has; kedge gives billing/invoices no route for it", taken.Found);
        Assert.Equal("rename the Service billing/invoices (or its port), or the route or backend in kedge.json", taken.Fix);
    }
}
