package io.aeroarc.registry.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.spi.Page;
import io.aeroarc.registry.spi.PageRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class PagingTest {

    @Test
    void one_extra_entry_says_there_are_more() {
        PageRequest page = new PageRequest("a", 2);
        assertThat(Paging.fetchSize(page)).isEqualTo(3);

        Page<String> full = Paging.of(List.of("b", "c", "d"), page);
        assertThat(full.items()).containsExactly("b", "c");
        assertThat(full.hasMore()).isTrue();

        Page<String> last = Paging.of(List.of("b", "c"), page);
        assertThat(last.items()).containsExactly("b", "c");
        assertThat(last.hasMore()).isFalse();
        assertThat(Paging.isFull(List.of("b", "c"), page)).isTrue();
        assertThat(Paging.fetchSize(new PageRequest("", Integer.MAX_VALUE))).isEqualTo(Integer.MAX_VALUE);
    }
}
