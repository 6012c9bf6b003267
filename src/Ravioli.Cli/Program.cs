using Ravioli.Cli;

return await RavCli.RunAsync(args, CliEnvironment.FromProcess());
