using System.Diagnostics.Metrics;
using Kedge.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Kedge.Server.Tests.Observability;

public sealed class HostRegistryTests
{
    private const string ClientMeter = "Kedge.Client";

    [Fact]
    public void Owns_MeterOfThisHostsFactory_Exported()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var counter = factory.Create(ClientMeter).CreateCounter<long>("kedge.client.requests");

        Assert.True(HostRegistry.Owns(counter, factory, ClientMeter));
    }

    [Fact]
    public void Owns_SameMeterNameWithoutFactoryOrFromAnotherHost_NotExported()
    {
        // A Kedge.Client made without a meter factory (a one-shot `winch check` in the same process, an application's own
        // client) records on a meter with no scope; another host's meter has that host's factory as its scope. Neither's
        // counts are this host's: exporting them made two winch hosts in one process count each other's requests.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var otherServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var scopeless = new Meter(ClientMeter);
        var other = otherServices.GetRequiredService<IMeterFactory>().Create(ClientMeter);

        Assert.False(HostRegistry.Owns(scopeless.CreateCounter<long>("kedge.client.requests"), factory, ClientMeter));
        Assert.False(HostRegistry.Owns(other.CreateCounter<long>("kedge.client.requests"), factory, ClientMeter));
    }

    [Fact]
    public void Owns_RuntimeMeter_ExportedByEveryHost()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var runtime = new Meter(HostRegistry.RuntimeMeterName);

        Assert.True(HostRegistry.Owns(runtime.CreateCounter<long>("dotnet.gc.collections"), services.GetRequiredService<IMeterFactory>(), ClientMeter));
    }
}
