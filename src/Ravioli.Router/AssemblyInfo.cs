using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Ravioli.Router.Tests")]
