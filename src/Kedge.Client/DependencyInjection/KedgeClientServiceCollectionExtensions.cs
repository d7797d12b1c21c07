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
    /// section). The options are validated when the host starts; every error is listed with its key.
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

    /// <summary>Registers a <see cref="KedgeClient"/> configured in code. The options are validated when the host starts.</summary>
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
        services.AddOptions<KedgeClientOptions>().ValidateOnStart();
        services.TryAddSingleton(section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KedgeClientOptions>, KedgeClientOptionsValidator>());
        services.TryAddSingleton(sp => KedgeClient.Create(
            sp.GetRequiredService<IOptions<KedgeClientOptions>>().Value,
            sp.GetRequiredService<KedgeClientSection>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
