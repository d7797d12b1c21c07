using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Management;
using Kedge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.FunctionalTests.Server;

/// <summary>Backends across reloads and shutdown: kept when their settings are equal, replaced when not, always disposed.</summary>
public sealed class BackendLifecycleTests : IDisposable
{
    private readonly TestLogSink _logs = new();

    public void Dispose() => _logs.Dispose();

    private static KedgeServerOptions Routing(string backend, string address) => new()
    {
        HttpRoutes = [new() { Backend = backend, Host = "web.kedge" }],
        HttpBackends = [new() { Name = backend, Static = new() { Addresses = [address] }, Tls = new() { InsecureSkipVerify = true } }],
    };

    [Fact]
    public async Task Shutdown_BackendRemovedByReloadStillDraining_IsDisposedAndShutdownDoesNotWaitForTheDrain()
    {
        var kedge = await KedgeServerFixture.StartAsync(_logs, Routing("old", "127.0.0.1:1"));
        Backend removed;
        try
        {
            var runtime = kedge.Server.App.Services.GetRequiredService<KedgeRuntime>();
            removed = runtime.Current.HttpBackends["old"];
            Assert.Empty(await kedge.Server.ApplyAsync(Routing("new", "127.0.0.1:1")));
            Assert.DoesNotContain("old", runtime.Current.HttpBackends.Keys);
        }
        finally
        {
            // The removed backend is draining (for 30 s); stopping must dispose it now and wait for that.
            await kedge.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:1/");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => removed.Invoker.SendAsync(request, CancellationToken.None));
    }

    [Fact]
    public async Task Apply_EqualSettingsInNewObjects_KeepsTheRunningBackend()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing("web", "127.0.0.1:1"));
        var runtime = kedge.Server.App.Services.GetRequiredService<KedgeRuntime>();
        var before = runtime.Current.HttpBackends["web"];

        Assert.Empty(await kedge.Server.ApplyAsync(Routing("web", "127.0.0.1:1")));

        Assert.Same(before, runtime.Current.HttpBackends["web"]);
    }

    [Fact]
    public async Task Apply_ChangedAddress_ReplacesTheBackend()
    {
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing("web", "127.0.0.1:1"));
        var runtime = kedge.Server.App.Services.GetRequiredService<KedgeRuntime>();
        var before = runtime.Current.HttpBackends["web"];

        Assert.Empty(await kedge.Server.ApplyAsync(Routing("web", "127.0.0.1:2")));

        Assert.NotSame(before, runtime.Current.HttpBackends["web"]);
        Assert.Equal("127.0.0.1:2", Assert.Single(runtime.Current.HttpBackends["web"].Endpoints).Authority);
    }

    [Fact]
    public async Task GetChangeToken_ValidChangeFiresIt_RejectedChangeDoesNot()
    {
        _logs.ExpectErrors(e => e.EventId.Name == "ConfigurationRejected");
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, Routing("web", "127.0.0.1:1"));
        var runtime = kedge.Server.App.Services.GetRequiredService<KedgeRuntime>();
        var beforeRejected = runtime.GetChangeToken();

        Assert.NotEmpty(await kedge.Server.ApplyAsync(Routing("Not-Valid", "127.0.0.1:1")));
        Assert.False(beforeRejected.HasChanged);

        Assert.Empty(await kedge.Server.ApplyAsync(Routing("web", "127.0.0.1:2")));
        Assert.True(beforeRejected.HasChanged);
        Assert.False(runtime.GetChangeToken().HasChanged);
    }
}
