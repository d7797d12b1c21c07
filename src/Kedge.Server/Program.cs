using Kedge.Server.Hosting;

return await KedgeProgram.RunAsync(args).ConfigureAwait(false);
