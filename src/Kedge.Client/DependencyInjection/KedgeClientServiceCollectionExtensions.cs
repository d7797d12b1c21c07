using Kedge.Client;
using Kedge.Client.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kedge.Client.</summary>
public static class KedgeClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="KedgeClient"/> configured from <paramref name="configuration"/> (by convention the <c>Kedge</c>
    /// section). The options are checked when the host starts (or when the client is first resolved, without a host):
    /// every error is listed with its key, keys that no setting reads included (with the closest real key). When the
    /// configuration reloads, the client follows: new routes, certificate and CA paths and token sources apply to the calls
    /// that follow; an invalid change is logged (event 620) and the last good configuration stays in use.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section with the routes, certificates and token sources.</param>
    public static IServiceCollection AddKedgeClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Unknown keys are looked for only under a section: the root of an application's configuration holds everyone's keys.
        var section = configuration is IConfigurationSection s ? new KedgeClientSection(s.Path, s) : KedgeClientSection.Code;
        services.AddOptions<KedgeClientOptions>().Bind(configuration);
        return AddCore(services, section);
    }

    /// <summary>
    /// Registers a <see cref="KedgeClient"/> configured in code. The options are checked when the host starts (or when the
    /// client is first resolved, without a host). Like any options, they follow the options' change tokens if some are
    /// registered (<c>IOptionsChangeTokenSource&lt;KedgeClientOptions&gt;</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the routes (or a mapper), certificates and token sources.</param>
    public static IServiceCollection AddKedgeClient(this IServiceCollection services, Action<KedgeClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<KedgeClientOptions>().Configure(configure);
        return AddCore(services, KedgeClientSection.Code);
    }

    private static IServiceCollection AddCore(IServiceCollection services, KedgeClientSection section)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(section);

        // At start, create the client: that checks the options (it throws OptionsValidationException listing every error).
        services.AddOptions<KedgeClientStartupCheck>()
            .Configure<IServiceProvider>((_, sp) => sp.GetRequiredService<KedgeClient>())
            .ValidateOnStart();
        services.TryAddSingleton(CreateClient);
        return services;
    }

    private static KedgeClient CreateClient(IServiceProvider services)
    {
        var section = services.GetRequiredService<KedgeClientSection>();
        var factory = services.GetRequiredService<IOptionsFactory<KedgeClientOptions>>();

        // The factory rather than IOptionsMonitor: reading the options anew on each change, the client sees (and logs)
        // a value the binder cannot convert, where the monitor would throw it into the configuration's reload.
        // The change tokens are taken before the first read, so a change landing between that read and the
        // subscription below is seen (the tokens fire once; a later subscription gets fresh ones).
        var sources = services.GetServices<IOptionsChangeTokenSource<KedgeClientOptions>>().ToList();
        var before = sources.Select(s => s.GetChangeToken()).ToList();
        KedgeClientOptions Read() => factory.Create(Microsoft.Extensions.Options.Options.DefaultName);
        // The application's meter factory when it has one (hosts register it), so its metrics pipeline sees the client's.
        var client = KedgeClient.Create(Read(), section, services.GetService<ILoggerFactory>(), services.GetRequiredService<TimeProvider>(), services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        client.FollowChanges(sources, Read, section);
        if (before.Any(token => token.HasChanged))
        {
            client.Reload(Read, section);
        }

        return client;
    }
}
