using Kedge.Server.Configuration;
using Kedge.Server.Management;
using Microsoft.Extensions.Hosting;

namespace Kedge.Server.Hosting;

/// <summary>
/// Re-reads the configuration files when their content changes (checked every 2 seconds; content, not timestamps, so
/// ConfigMap symlink swaps count) and applies them. An invalid change is rejected and the last good configuration stays.
/// </summary>
internal sealed class KedgeConfigWatcher(KedgeConfigSource source, KedgeRuntime runtime, KedgeServerSettings settings, TimeProvider timeProvider) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (source.Files.Count == 0)
        {
            return;
        }

        var last = source.LoadedFingerprint ?? source.Fingerprint();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var current = source.Fingerprint();
            if (current == last)
            {
                continue;
            }

            last = current;
            try
            {
                var errors = new List<string>();
                // Read and validated once; every error names its file and path.
                var options = source.Load(settings, errors);
                if (options is null)
                {
                    await runtime.RejectAsync(errors);
                    continue;
                }

                await runtime.ApplyValidatedAsync(options, source.Origin, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A reload must never take kedge down: the last good configuration stays in force.
                await runtime.RejectAsync([$"applying the changed configuration failed: {ex.Message}"]);
            }
        }
    }
}
