global using Ravioli.Runtime.Local.Tests.Infrastructure;
global using Xunit;
