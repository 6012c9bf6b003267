namespace Ravioli.Staging;
