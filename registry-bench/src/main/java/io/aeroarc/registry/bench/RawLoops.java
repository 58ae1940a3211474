package io.aeroarc.registry.bench;

import java.util.List;

/** The raw loops of a backend with the client they share; closing it closes the client. */
interface RawLoops extends AutoCloseable {

    RawLoops NONE = new RawLoops() {
        @Override
        public List<RawLoop> loops() {
            return List.of();
        }

        @Override
        public void close() {}
    };

    List<RawLoop> loops();

    @Override
    void close();
}
