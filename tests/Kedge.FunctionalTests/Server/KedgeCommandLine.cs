using Kedge.Server.Hosting;

namespace Kedge.FunctionalTests.Server;

/// <summary>Runs kedge's command line in-process, as the binary would, and captures what it prints.</summary>
internal static class KedgeCommandLine
{
    /// <summary>Runs <c>kedge <paramref name="args"/></c> to its end; returns the exit code, stdout and stderr.</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await KedgeProgram.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
