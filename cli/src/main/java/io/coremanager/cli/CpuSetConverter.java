package io.coremanager.cli;

import io.coremanager.CpuSet;
import picocli.CommandLine;

/** Reads a CPU list option ({@code 0-3,8}); a malformed one is a usage error naming the problem. */
final class CpuSetConverter implements CommandLine.ITypeConverter<CpuSet> {
    @Override
    public CpuSet convert(String value) {
        try {
            return CpuSet.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
